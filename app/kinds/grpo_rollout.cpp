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
#include <array>
#include <cmath>
#include <string>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "models/serving/grpo.h"

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

KindOutput GrpoRolloutKind::run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const toml::table& t = point.tree;
  const models::Architecture& arch = res_->zoo().get(scenarios::get_string(t, "model.name"), where(point, "model.name"));
  const models::Deployment dep = make_deployment(*res_, point, scenarios::get_table(t, "deployment"), "deployment");
  const std::int64_t P = scenarios::get_integer(t, "rollout.prompt_tokens");
  const std::int64_t stride = scenarios::get_integer(t, "rollout.curve_stride");
  const std::int64_t g_max = scenarios::get_integer(t, "rollout.max_group_search");
  const double gib = 1024.0 * 1024 * 1024, nan = std::nan("");
  namespace serving = models::serving;
  KindOutput out;
  for (const auto& rv : *t["rollout"]["response_tokens"].as_array()) {
    const auto R = static_cast<std::int64_t>(rv.value_or(0.0));
    for (const auto& gv : *t["rollout"]["group_sizes"].as_array()) {
      const serving::GrpoShape shape{P, R, static_cast<std::int64_t>(gv.value_or(0.0))};
      const std::string row = "P=" + std::to_string(P) + "/R=" + std::to_string(R) + "/G=" + std::to_string(shape.group);
      const serving::GrpoMemory mem = serving::grpo_memory(arch, dep, shape);
      for (int s = 0; s < 3; ++s) out.table.push_back({row, "kv_" + std::string(serving::kGrpoNames[s]), "GiB", mem.kv[s] / gib, nan});
      out.table.push_back({row, "logprob_logits_fp32", "GiB", mem.logits_fp32 / gib, nan});
      for (int s = 0; s < 3; ++s) {
        out.table.push_back({row, "peak_" + std::string(serving::kGrpoNames[s]), "GiB", mem.peak[s] / gib, nan});
        out.table.push_back({row, "fits_" + std::string(serving::kGrpoNames[s]), "1", mem.fits[s] ? 1.0 : 0.0, nan});
      }
      // Time of the whole group's rollout, each strategy on its own GPUs on the engine.
      const std::array<double, 3> times = serving::grpo_times(engine, arch, dep, shape, stride);
      for (int s = 0; s < 3; ++s)
        out.table.push_back({row, "time_" + std::string(serving::kGrpoNames[s]), "s", mem.fits[s] ? times[s] : nan, nan});
      out.metrics.push_back({row + ".time_sequential_over_batched", times[2] / times[0], "1"});
    }
    // The largest group that fits, per strategy (sequential does not depend on G).
    const std::string row = "P=" + std::to_string(P) + "/R=" + std::to_string(R);
    for (int s = 0; s < 2; ++s)
      out.table.push_back({row, "max_group_" + std::string(serving::kGrpoNames[s]), "1",
                           static_cast<double>(serving::grpo_max_group(arch, dep, P, R, static_cast<serving::Grpo>(s), g_max)), nan});
    out.table.push_back({row, "fits_sequential_any_group", "1",
                         serving::grpo_max_group(arch, dep, P, R, serving::Grpo::kSequential, 1) >= 1 ? 1.0 : 0.0, nan});
  }
  return out;
}

std::unique_ptr<Kind> grpo_rollout_kind(std::shared_ptr<const Resources> res) { return std::make_unique<GrpoRolloutKind>(std::move(res)); }

}  // namespace kvsim::runner
