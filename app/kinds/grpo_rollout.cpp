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
#include <vector>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "models/serving/grpo.h"

namespace kvsim::runner {
namespace {

struct Config {
  struct Model {
    std::string name;
  } model;
  struct Rollout {
    std::int64_t prompt_tokens = 0;
    std::vector<double> response_tokens, group_sizes;
    std::int64_t curve_stride = 256, max_group_search = 512;
  } rollout;
};

scenarios::Binder<Config> config_binder() {
  scenarios::Binder<Config::Model> model;
  model.bind("name", &Config::Model::name, "architecture in the zoo").required();
  using R = Config::Rollout;
  scenarios::Binder<R> r;
  r.bind("prompt_tokens", &R::prompt_tokens, "P: prompt length").required().min(1);
  r.bind("response_tokens", &R::response_tokens, "R values: response lengths").required().min(1);
  r.bind("group_sizes", &R::group_sizes, "G values: completions per prompt").required().min(1);
  r.bind("curve_stride", &R::curve_stride, "decode steps simulated every this many tokens").min(1);
  r.bind("max_group_search", &R::max_group_search, "largest G tried when looking for the largest that fits").min(1);
  scenarios::Binder<Config> b;
  b.table("model", &Config::model, "the policy model", model).required();
  b.schema_only("deployment", "one GPU (or a TP group)", deployment_schema()).required();
  b.table("rollout", &Config::rollout, "group shape", r).required();
  return b;
}

class GrpoRolloutKind final : public BoundKind<Config> {
 public:
  explicit GrpoRolloutKind(std::shared_ptr<const Resources> res) : BoundKind(config_binder()), res_(std::move(res)) {}
  std::string_view name() const override { return "grpo-rollout"; }
  std::string_view description() const override {
    return "GRPO rollout memory and time: batched, shared-prefix KV, sequential (Datarus S2)";
  }

 protected:
  KindOutput run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
};

}  // namespace

KindOutput GrpoRolloutKind::run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const models::Architecture& arch = res_->zoo().get(c.model.name, where(point, "model.name"));
  const models::Deployment dep = make_deployment(*res_, point, scenarios::get_table(point.tree, "deployment"), "deployment");
  const std::int64_t P = c.rollout.prompt_tokens, stride = c.rollout.curve_stride, g_max = c.rollout.max_group_search;
  const double gib = 1024.0 * 1024 * 1024, nan = std::nan("");
  namespace serving = models::serving;
  KindOutput out;
  for (const double rv : c.rollout.response_tokens) {
    const auto R = static_cast<std::int64_t>(rv);
    for (const double gv : c.rollout.group_sizes) {
      const serving::GrpoShape shape{P, R, static_cast<std::int64_t>(gv)};
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
