// app/kinds/grpo_rollout.cpp — S2: GRPO rollout memory and time for three strategies.
//
// For a group of G completions of one prompt (P prompt tokens, R response tokens, kv bytes of KV
// per token), the KV held at the end of the rollout is (docs/datarus.md):
//   batched (prompt KV duplicated per completion)   G (P + R) kv
//   shared prefix (prompt KV stored once)           (P + G R) kv
//   sequential (one completion at a time)           (P + R) kv
// Peak rollout memory adds the weights, the decode activations and logits of the batch. The
// log-prob pass over all G (P + R) tokens would materialize G (P + R) V 4 bytes of FP32 logits.
// Time: batched and shared decode G sequences together (shared prefill once, batched G times);
// sequential decodes them one after another. Each sequence reads its whole context per step (no
// cascade attention), so shared-prefix decoding costs what batched decoding costs.
#include <cmath>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "models/decode_curve.h"
#include "models/memory.h"

namespace kvsim::runner {
namespace {

class GrpoRolloutKind final : public Kind {
 public:
  explicit GrpoRolloutKind(std::shared_ptr<const Resources> res);
  std::string_view name() const override { return "grpo-rollout"; }
  std::string_view description() const override {
    return "GRPO rollout memory and time: batched, shared-prefix KV, sequential (Datarus S2)";
  }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
  scenarios::TableSchema schema_;
};

}  // namespace

using scenarios::TableSchema;

GrpoRolloutKind::GrpoRolloutKind(std::shared_ptr<const Resources> res) : res_(std::move(res)) {
  TableSchema model;
  model.string("name", "architecture in the zoo").required();
  TableSchema r;
  r.integer("prompt_tokens", "P: prompt length").required().min(1);
  r.numbers("response_tokens", "R values: response lengths").required().min(1);
  r.numbers("group_sizes", "G values: completions per prompt").required().min(1);
  r.integer("curve_stride", "decode steps simulated every this many tokens").defaults(256).min(1);
  r.integer("max_group_search", "largest G tried when looking for the largest that fits").defaults(512).min(1);
  schema_.table("model", "the policy model", std::move(model)).required();
  schema_.table("deployment", "one GPU (or a TP group)", deployment_schema()).required();
  schema_.table("rollout", "group shape", std::move(r)).required();
}

KindOutput GrpoRolloutKind::run(const scenarios::ScenarioPoint& point, sim::Engine&) const {
  const toml::table& t = point.tree;
  const models::Architecture& arch = res_->zoo().get(scenarios::get_string(t, "model.name"), where(point, "model.name"));
  const models::Deployment dep = make_deployment(*res_, point, scenarios::get_table(t, "deployment"), "deployment");
  const std::int64_t P = scenarios::get_integer(t, "rollout.prompt_tokens");
  const std::int64_t stride = scenarios::get_integer(t, "rollout.curve_stride");
  const std::int64_t g_max = scenarios::get_integer(t, "rollout.max_group_search");
  const double kv = static_cast<double>(arch.kv_bytes_per_token()) / dep.tp;
  const double gib = 1024.0 * 1024 * 1024, nan = std::nan("");
  KindOutput out;

  // Everything but the KV: weights, decode activations and logits of a batch of g.
  auto base_memory = [&](std::int64_t g) {
    models::StepShape s;
    s.batch = g;
    s.cached = 0;
    const models::MemoryPlan m = models::plan_memory(arch, dep, s);
    double other = 0;
    for (const auto& it : m.gpu_items) if (it.name != "kv_cache") other += it.bytes;
    return other;
  };
  auto kv_bytes = [&](int strategy, std::int64_t g, std::int64_t R) {
    const double gd = static_cast<double>(g);
    switch (strategy) {
      case 0: return gd * static_cast<double>(P + R) * kv;
      case 1: return (static_cast<double>(P) + gd * static_cast<double>(R)) * kv;
      default: return static_cast<double>(P + R) * kv;
    }
  };
  const char* names[] = {"batched", "shared", "sequential"};
  const double capacity = dep.gpu.usable_memory_bytes;

  for (const auto& rv : *t["rollout"]["response_tokens"].as_array()) {
    const auto R = static_cast<std::int64_t>(rv.value_or(0.0));
    models::DecodeCurve single(arch, dep, 1, stride);
    const double prefill1 = single.prefill_seconds(P, 0);
    const double decode1 = single.generate_seconds(P, R);
    for (const auto& gv : *t["rollout"]["group_sizes"].as_array()) {
      const auto G = static_cast<std::int64_t>(gv.value_or(0.0));
      const std::string row = "P=" + std::to_string(P) + "/R=" + std::to_string(R) + "/G=" + std::to_string(G);
      for (int s = 0; s < 3; ++s) out.table.push_back({row, std::string("kv_") + names[s], "GiB", kv_bytes(s, G, R) / gib, nan});
      out.table.push_back({row, "logprob_logits_fp32", "GiB", static_cast<double>(G) * static_cast<double>(P + R) * arch.vocab * 4.0 / gib, nan});
      double peak[3];
      for (int s = 0; s < 3; ++s) {
        peak[s] = base_memory(s == 2 ? 1 : G) + kv_bytes(s, G, R);
        out.table.push_back({row, std::string("peak_") + names[s], "GiB", peak[s] / gib, nan});
        out.table.push_back({row, std::string("fits_") + names[s], "1", peak[s] <= capacity ? 1.0 : 0.0, nan});
      }
      // Time of the whole group's rollout.
      models::DecodeCurve group(arch, dep, G, stride);
      const double decode_g = group.generate_seconds(P, R);
      const double prefill_g = models::simulate_forward(arch, dep, G, P, 0, false);
      const double times[3] = {prefill_g + decode_g, prefill1 + decode_g,
                               static_cast<double>(G) * (prefill1 + decode1)};
      for (int s = 0; s < 3; ++s) {
        out.table.push_back({row, std::string("time_") + names[s], "s", peak[s] <= capacity ? times[s] : nan, nan});
      }
      out.metrics.push_back({row + ".time_sequential_over_batched", times[2] / times[0], "1"});
    }
    // The largest group that fits, per strategy (sequential does not depend on G).
    const std::string row = "P=" + std::to_string(P) + "/R=" + std::to_string(R);
    for (int s = 0; s < 2; ++s) {
      std::int64_t best = 0;
      for (std::int64_t g = 1; g <= g_max; ++g) {
        if (base_memory(g) + kv_bytes(s, g, R) <= capacity) best = g;
        else break;
      }
      out.table.push_back({row, std::string("max_group_") + names[s], "1", static_cast<double>(best), nan});
    }
    out.table.push_back({row, "fits_sequential_any_group", "1", base_memory(1) + kv_bytes(2, 1, R) <= capacity ? 1.0 : 0.0, nan});
  }
  return out;
}

std::unique_ptr<Kind> grpo_rollout_kind(std::shared_ptr<const Resources> res) { return std::make_unique<GrpoRolloutKind>(std::move(res)); }

}  // namespace kvsim::runner
