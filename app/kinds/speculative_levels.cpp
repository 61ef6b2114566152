// app/kinds/speculative_levels.cpp — kind "speculative-levels" (TriForce Fig. 1): each level's
// one-token forward run on the point's engine.
#include <cmath>
#include <iterator>
#include <vector>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "models/execution.h"
#include "models/step_plan.h"

namespace kvsim::runner {
namespace {

// Kind "speculative-levels": TriForce Fig. 1's per-level cost at one context: the draft with its
// StreamingLLM cache, the target with the retrieval cache, the target with the full cache; each
// level's one-token forward latency (cost model) and its GPU memory (weights + the KV it holds).
class SpeculativeLevelsKind final : public Kind {
 public:
  explicit SpeculativeLevelsKind(std::shared_ptr<const Resources> res);
  std::string_view name() const override { return "speculative-levels"; }
  std::string_view description() const override {
    return "per-level forward latency and memory of TriForce's hierarchy (Fig. 1)";
  }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
  scenarios::TableSchema schema_;
};

}  // namespace

using scenarios::TableSchema;

SpeculativeLevelsKind::SpeculativeLevelsKind(std::shared_ptr<const Resources> res) : res_(std::move(res)) {
  TableSchema models;
  models.string("target", "target architecture").required();
  models.string("draft", "draft architecture").defaults("llama-68m");
  TableSchema levels;
  levels.integer("retrieval_budget", "tokens in the retrieval cache").defaults(4096).min(1);
  levels.integer("draft_cache", "the draft's StreamingLLM budget").defaults(256).min(1);
  levels.integer("context", "tokens in the full cache").defaults(131072).min(1);
  schema_.table("models", "the target and draft", std::move(models)).required();
  schema_.table("deployment", "the GPU the levels run on", deployment_schema()).required();
  schema_.table("levels", "the three levels' caches", std::move(levels));
}

KindOutput SpeculativeLevelsKind::run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const toml::table& t = point.tree;
  const auto& target = res_->zoo().get(scenarios::get_string(t, "models.target"), where(point, "models.target"));
  const auto& draft = res_->zoo().get(scenarios::get_string(t, "models.draft"), where(point, "models.draft"));
  models::Deployment dep = make_deployment(*res_, point, scenarios::get_table(t, "deployment"), "deployment");
  dep.kv = models::KvPlacement::kGpu;
  models::Deployment draft_dep = dep;
  draft_dep.tp = 1;
  const std::int64_t budget = scenarios::get_integer(t, "levels.retrieval_budget");
  const std::int64_t dcache = scenarios::get_integer(t, "levels.draft_cache");
  const std::int64_t context = scenarios::get_integer(t, "levels.context");
  struct Level {
    const char* row;
    const models::Architecture& arch;
    const models::Deployment& d;
    std::int64_t cached;
  };
  const Level levels[] = {{"draft-68m", draft, draft_dep, dcache},
                          {"target-retrieval-4k", target, dep, budget},
                          {"target-full", target, dep, context}};
  // The three forwards one after another on the point's engine, each level on its own GPUs (a
  // machine per level, so the trace shows which level ran and every forward starts on idle streams).
  std::vector<models::Machine> machines;
  for (const auto& l : levels) machines.push_back(models::make_machine(engine, l.d, std::string(l.row) + "/gpu"));
  std::vector<models::StepStats> stats(std::size(levels));
  engine.spawn([](sim::Engine& e, const Level* ls, std::size_t n, std::vector<models::Machine>& ms,
                  std::vector<models::StepStats>& st) -> sim::Task<void> {
    for (std::size_t i = 0; i < n; ++i) {
      models::StepShape shape;
      shape.cached = ls[i].cached;
      std::vector<models::Op> plan = models::plan_step(ls[i].arch, ls[i].d, shape);  // a named local: GCC 12 caveat
      co_await models::run_step(e, ms[i], ls[i].d, std::move(plan), st[i]);
    }
  }(engine, levels, std::size(levels), machines, stats), "levels");
  engine.run();
  KindOutput out;
  const double nan = std::nan("");
  for (std::size_t i = 0; i < std::size(levels); ++i) {
    const auto& l = levels[i];
    const double ms = sim::to_seconds(stats[i].latency) * 1e3;
    const double gib = (static_cast<double>(l.arch.weight_bytes()) +
                        static_cast<double>(l.cached) * static_cast<double>(l.arch.kv_bytes_per_token())) / (1ull << 30);
    out.table.push_back({l.row, "ms", "ms", ms, nan});
    out.table.push_back({l.row, "gb", "GiB", gib, nan});
    out.metrics.push_back({std::string(l.row) + "_ms", ms, "ms"});
    out.metrics.push_back({std::string(l.row) + "_gib", gib, "GiB"});
  }
  return out;
}

std::unique_ptr<Kind> speculative_levels_kind(std::shared_ptr<const Resources> res) { return std::make_unique<SpeculativeLevelsKind>(std::move(res)); }

}  // namespace kvsim::runner
