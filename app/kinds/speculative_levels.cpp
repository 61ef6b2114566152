// app/kinds/speculative_levels.cpp — kind "speculative-levels" (TriForce Fig. 1): each level's
// forward as the released code runs it (the draft graphed over one token, the retrieval level
// graphed over gamma + 1 positions, the full verification eager over gamma + 1), on the point's
// engine; the shapes and launch styles are the calibration scenarios' (scenarios/calibration/).
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

struct Config {
  struct Models {
    std::string target, draft = "llama-68m";
  } models;
  struct Levels {
    std::int64_t retrieval_budget = 4096, draft_cache = 256, context = 131072;
    std::int64_t verify_tokens = 7;  // gamma + 1 with the README's gamma = 6
    bool draft_graphs = true, retrieval_graphs = true, target_graphs = false;
  } levels;
};

scenarios::Binder<Config> config_binder() {
  scenarios::Binder<Config::Models> models;
  models.bind("target", &Config::Models::target, "target architecture").required();
  models.bind("draft", &Config::Models::draft, "draft architecture");
  scenarios::Binder<Config::Levels> levels;
  levels.bind("retrieval_budget", &Config::Levels::retrieval_budget, "tokens in the retrieval cache").min(1);
  levels.bind("draft_cache", &Config::Levels::draft_cache, "the draft's StreamingLLM budget").min(1);
  levels.bind("context", &Config::Levels::context, "tokens in the full cache").min(1);
  levels.bind("verify_tokens", &Config::Levels::verify_tokens, "positions the target levels run over (gamma + 1)").min(1).max(64);
  levels.bind("draft_graphs", &Config::Levels::draft_graphs, "the draft replays a CUDA graph");
  levels.bind("retrieval_graphs", &Config::Levels::retrieval_graphs, "the retrieval level replays a CUDA graph");
  levels.bind("target_graphs", &Config::Levels::target_graphs, "the full-cache verification replays a CUDA graph");
  scenarios::Binder<Config> b;
  b.table("models", &Config::models, "the target and draft", models).required();
  b.schema_only("deployment", "the GPU the levels run on", deployment_schema()).required();
  b.table("levels", &Config::levels, "the three levels' caches", levels);
  return b;
}

// Kind "speculative-levels": TriForce Fig. 1's per-level cost at one context: the draft with its
// StreamingLLM cache, the target with the retrieval cache, the target with the full cache; each
// level's one-token forward latency (cost model) and its GPU memory (weights + the KV it holds).
class SpeculativeLevelsKind final : public BoundKind<Config> {
 public:
  explicit SpeculativeLevelsKind(std::shared_ptr<const Resources> res) : BoundKind(config_binder()), res_(std::move(res)) {}
  std::string_view name() const override { return "speculative-levels"; }
  std::string_view description() const override {
    return "per-level forward latency and memory of TriForce's hierarchy (Fig. 1)";
  }

 protected:
  KindOutput run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
};

}  // namespace

KindOutput SpeculativeLevelsKind::run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const auto& target = res_->zoo().get(c.models.target, where(point, "models.target"));
  const auto& draft = res_->zoo().get(c.models.draft, where(point, "models.draft"));
  models::Deployment dep = make_deployment(*res_, point, scenarios::get_table(point.tree, "deployment"), "deployment");
  dep.kv = models::KvPlacement::kGpu;
  models::Deployment draft_dep = dep, retrieval_dep = dep, full_dep = dep;
  draft_dep.tp = 1;
  draft_dep.cuda_graphs = c.levels.draft_graphs;
  retrieval_dep.cuda_graphs = c.levels.retrieval_graphs;
  full_dep.cuda_graphs = c.levels.target_graphs;
  const std::int64_t budget = c.levels.retrieval_budget, dcache = c.levels.draft_cache, context = c.levels.context;
  struct Level {
    const char* row;
    const models::Architecture& arch;
    const models::Deployment& d;
    std::int64_t cached, q;
  };
  const std::int64_t verify = c.levels.verify_tokens;
  const Level levels[] = {{"draft-68m", draft, draft_dep, dcache, 1},
                          {"target-retrieval-4k", target, retrieval_dep, budget, verify},
                          {"target-full", target, full_dep, context, verify}};
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
      shape.q = ls[i].q;
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
    out.metrics.push_back({std::string(l.row) + "_time", ms / 1e3, "s"});
    out.metrics.push_back({std::string(l.row) + "_memory", gib * (1ull << 30), "B"});
  }
  return out;
}

std::unique_ptr<Kind> speculative_levels_kind(std::shared_ptr<const Resources> res) { return std::make_unique<SpeculativeLevelsKind>(std::move(res)); }

}  // namespace kvsim::runner
