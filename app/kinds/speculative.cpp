// app/kinds/speculative.cpp — kind "speculative": TriForce's hierarchical speculative decoding
// and its baselines in cost mode, every forward charged through the decode cost model.
//
// The loop itself (methods, rounds, what each round charges) is models/speculative/triforce_loop.h;
// this kind reads the scenario, turns acceptance into per-token probabilities (parameters:
// TriForce's per-round rates through models/speculative/math.h; small-model: execute mode; trace:
// recorded outcomes; models/speculative/acceptance.h), checks memory, runs the loop as a process
// on the point's engine and reports the rows. The baseline is autoregressive decoding on its own
// deployment (which may differ: TriForce's 2x4090 baseline keeps more layers on chip; the 1x4090
// one is host attention).
#include <cmath>
#include <map>
#include <mutex>
#include <optional>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "models/decode_curve.h"
#include "models/speculative/acceptance_solver.h"
#include "models/execution.h"
#include "models/lm/checkpoint.h"
#include "models/lm/episode_cache.h"
#include "models/memory.h"
#include "models/speculative/acceptance.h"
#include "models/speculative/math.h"
#include "models/speculative/triforce_loop.h"
#include "scenarios/binder.h"

namespace kvsim::runner {
namespace {

namespace spec = models::spec;

// The scenario, one member per key (scenarios/binder.h); [deployment] and [baseline] are read by
// make_deployment().
struct Config {
  struct Models {
    std::string target, draft = "llama-68m";
  } models;
  struct Method {
    std::string name;
    int gamma1 = 2, gamma2 = 6;
    std::int64_t retrieval_budget = 4096, chunk = 8, draft_cache = 256, naive_draft_cache = 1024;
    bool draft_graphs = true, retrieval_graphs = true, target_graphs = false;
  } method;
  struct SmallModel {
    std::string policy = "triforce";
    int budget = 64, chunk = 8, context = 2048, episodes = 6;
    std::string task = "text", checkpoint;
  };
  struct Acceptance {
    std::string source = "parameters";
    double full = -1.0;
    int full_gamma = 0;
    double draft = 0;
    int draft_gamma = 1;
    std::string full_trace, draft_trace;
    SmallModel small_model;
    double middle = 0.0;
  } acceptance;
  struct Workload {
    std::int64_t context = 0, generate = 256, batch = 1;
    int runs = 16;
    double temperature = 0.6, top_p = 0.9;
  } workload;
  std::string row, metric_prefix, speedup_metric;
  std::string report = "rows";
};

scenarios::Binder<Config> config_binder() {
  using scenarios::Binder;
  Binder<Config::Models> models;
  models.bind("target", &Config::Models::target, "target architecture").required();
  models.bind("draft", &Config::Models::draft, "draft architecture");
  Binder<Config::Method> method;
  std::vector<std::string> names(std::begin(spec::kLoopMethodNames), std::end(spec::kLoopMethodNames));
  method.bind("name", &Config::Method::name, "what decodes").required().choices(names);
  method.bind("gamma1", &Config::Method::gamma1, "draft tokens per middle iteration").min(1).max(16);
  method.bind("gamma2", &Config::Method::gamma2, "tokens collected before the full verification").min(1).max(64);
  method.bind("retrieval_budget", &Config::Method::retrieval_budget, "tokens in the retrieval (or middle StreamingLLM) cache").min(16);
  method.bind("chunk", &Config::Method::chunk, "tokens per retrieval-cache chunk (its construction scores one mean key per chunk)").min(1);
  method.bind("draft_cache", &Config::Method::draft_cache, "the 68M draft's StreamingLLM budget").min(16);
  method.bind("naive_draft_cache", &Config::Method::naive_draft_cache, "the naive policy's StreamingLLM budget").min(16);
  method.bind("draft_graphs", &Config::Method::draft_graphs, "the draft runs from CUDA graphs");
  method.bind("retrieval_graphs", &Config::Method::retrieval_graphs, "the retrieval-cache forward runs from a CUDA graph");
  method.bind("target_graphs", &Config::Method::target_graphs, "the full-cache forward runs from a CUDA graph");
  Binder<Config::SmallModel> small;
  small.bind("policy", &Config::SmallModel::policy, "the drafting model's KV policy").choices({"triforce", "streaming", "h2o", "snapkv", "quest"});
  small.bind("budget", &Config::SmallModel::budget, "its budget in tokens (scale the 7B budget to the small context)").min(16);
  small.bind("chunk", &Config::SmallModel::chunk, "triforce's chunk size").min(1);
  small.bind("context", &Config::SmallModel::context, "episode length (bytes)").min(128).max(8192);
  small.bind("episodes", &Config::SmallModel::episodes, "episodes averaged").min(1).max(200);
  small.bind("task", &Config::SmallModel::task, "held-out text or passkey episodes").choices({"text", "passkey"});
  small.bind("checkpoint", &Config::SmallModel::checkpoint, "small-model checkpoint (empty: the committed one)");
  Binder<Config::Acceptance> acc;
  acc.bind("source", &Config::Acceptance::source, "where acceptance comes from: parameters (below), small-model (execute mode), trace")
      .choices({"parameters", "small-model", "trace"});
  acc.bind("full", &Config::Acceptance::full,
           "TriForce's rate sum(accepted) / sum(gamma2), retrieval level -> full target, solved for the per-token "
           "probability under the method's own loop (models/speculative/acceptance_solver.h)")
      .max(0.999);
  acc.bind("full_gamma", &Config::Acceptance::full_gamma, "the gamma at which `full` was measured (0: the method's gamma2)").min(0);
  acc.bind("draft", &Config::Acceptance::draft,
           "68M draft -> target: accepted / drafted at draft_gamma (the naive policy's figure; also the middle stage's "
           "per-token rate, the retrieval-cache target being nearly the full model)")
      .required().min(0).max(0.999);
  acc.bind("draft_gamma", &Config::Acceptance::draft_gamma,
           "the gamma at which `draft` was measured; 1 reads it as a per-token probability (the naive policy's gamma is "
           "not published)")
      .min(1);
  acc.bind("full_trace", &Config::Acceptance::full_trace, "source = trace: 0/1 outcomes of the full verification's drafted tokens");
  acc.bind("draft_trace", &Config::Acceptance::draft_trace, "0/1 outcomes of the draft's tokens (optional; else `draft`)");
  acc.table("small_model", &Config::Acceptance::small_model, "source = small-model: how the full-verification acceptance is measured", small);
  acc.bind("middle", &Config::Acceptance::middle, "per-round acceptance, StreamingLLM middle cache -> full (streamingllm-w-hierarchy)")
      .min(0).max(0.999);
  Binder<Config::Workload> work;
  work.bind("context", &Config::Workload::context, "prompt tokens").required().min(1);
  work.bind("generate", &Config::Workload::generate, "tokens generated (per sequence)").min(1);
  work.bind("runs", &Config::Workload::runs,
            "independent decodes of the prompt (fresh acceptance draws each): rows report their mean, metrics their spread")
      .min(1).max(1000);
  work.bind("batch", &Config::Workload::batch, "sequences decoded together, each with its own context and caches").min(1).max(256);
  work.bind("temperature", &Config::Workload::temperature, "sampling temperature (acceptance carries its effect, except with source = small-model)")
      .min(0);
  work.bind("top_p", &Config::Workload::top_p, "nucleus sampling (used with source = small-model)").min(0, true).max(1);
  Binder<Config> b;
  b.table("models", &Config::models, "the target and draft", models).required();
  b.schema_only("deployment", "where the target (and the draft) run", deployment_schema()).required();
  b.schema_only("baseline", "where autoregressive decoding runs (TriForce's baselines)", deployment_schema()).required();
  b.table("method", &Config::method, "the speculative method", method).required();
  b.table("acceptance", &Config::acceptance, "acceptance rates (TriForce's per-round definition)", acc).required();
  b.table("workload", &Config::workload, "what is decoded", work).required();
  b.bind("row", &Config::row, "the table row this point fills");
  b.bind("metric_prefix", &Config::metric_prefix, "prefix of the table's metric names, e.g. triforce_");
  b.bind("speedup_metric", &Config::speedup_metric, "name of the speedup metric (default: prefix + speedup)");
  b.bind("report", &Config::report,
         "rows: the point's speedup, latency and acceptance; upper-bound: the 1 / (1 - alpha) limits of the full "
         "verification's and the naive draft's per-token acceptance (Fig. 5's bounds)")
      .choices({"rows", "upper-bound"});
  return b;
}

class SpeculativeKind final : public BoundKind<Config> {
 public:
  explicit SpeculativeKind(std::shared_ptr<const Resources> res)
      : BoundKind(config_binder()), res_(std::move(res)), episodes_(std::make_shared<EpisodeCache>()) {}
  std::string_view name() const override { return "speculative"; }
  std::string_view description() const override {
    return "TriForce hierarchical speculative decoding and its baselines, forwards charged on modeled GPUs";
  }
  // The small-model acceptance source executes episodes on the small model; the rest is cost mode.
  double relative_cost(const scenarios::ScenarioPoint& point) const override {
    const auto& acc = point.tree["acceptance"];
    if (acc["source"].value_or(std::string()) != "small-model") return 1.0;
    return small_model_relative_cost(acc["small_model"]["episodes"].value_or<std::int64_t>(1),
                                     acc["small_model"]["context"].value_or<std::int64_t>(1024));
  }

 protected:
  KindOutput run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  // The full level's per-token acceptance from the small model in execute mode.
  double small_model_alpha(const scenarios::ScenarioPoint& point, const Config& c) const;

  std::shared_ptr<const Resources> res_;
  // Small-model episodes (acceptance source "small-model"), prefilled once per registry by the
  // workers that need them: a sweep over budgets or chunk sizes reuses them.
  struct EpisodeCache {
    std::mutex mu;  // guards weights
    std::map<std::string, std::shared_ptr<const models::lm::LmWeights>> weights;
    models::lm::EpisodeCache by_key;
  };
  std::shared_ptr<EpisodeCache> episodes_;
};

double SpeculativeKind::small_model_alpha(const scenarios::ScenarioPoint& point, const Config& c) const {
  const Config::SmallModel& sm = c.acceptance.small_model;
  spec::SmallModelAcceptance s;
  s.policy = sm.policy;
  s.budget = sm.budget;
  s.chunk = sm.chunk;
  s.context = sm.context;
  s.episodes = sm.episodes;
  s.task = sm.task;
  s.temperature = c.workload.temperature;
  s.top_p = c.workload.top_p;
  s.seed = point.seed();
  const std::string ckpt = sm.checkpoint.empty() ? models::lm::default_small_lm_path() : sm.checkpoint;
  std::shared_ptr<const models::lm::LmWeights> weights;
  {
    std::lock_guard lock(episodes_->mu);
    auto& w = episodes_->weights[ckpt];
    if (!w) w = std::make_shared<const models::lm::LmWeights>(models::lm::load_small_lm(ckpt));
    weights = w;
  }
  const std::string key = ckpt + "|" + s.task + "|" + std::to_string(s.context) + "|" + std::to_string(s.episodes) + "|" +
                          std::to_string(s.seed) + "|" + std::to_string(s.temperature) + "|" + std::to_string(s.top_p);
  const auto eps = episodes_->by_key.get(
      key, [&] { return spec::small_model_raw_episodes(s); },
      [&](models::lm::Episode e) { return spec::prepare_small_model_episode(*weights, std::move(e), s); });
  return spec::small_model_alpha(*eps, s);
}

// The middle stage's per-token acceptance: the 68M draft's toward the retrieval-cache target
// (read from `draft`), or the StreamingLLM middle cache's toward the full target.
double middle_alpha(const Config::Acceptance& a, const spec::LoopConfig& cfg) {
  return spec::alpha_from_per_round(a.middle > 0 ? a.middle : 0.5, cfg.gamma1);
}

// The full verification's per-token alpha whose rate, under the method's own middle stage and
// gamma2 distribution, is `rate` measured at gamma `g`.
double solve_full_alpha(const spec::LoopConfig& cfg, double rate, double a_draft, double a_middle, int g) {
  switch (cfg.method) {
    case spec::LoopMethod::kTriforce: return spec::alpha_for_rate(rate, a_draft, cfg.gamma1, g);
    case spec::LoopMethod::kTriforceCode: return spec::alpha_for_rate(rate, a_draft, 1, g);
    case spec::LoopMethod::kStreamingWithHierarchy: return spec::alpha_for_rate(rate, a_middle, cfg.gamma1, g);
    default: return spec::alpha_from_per_round(rate, g);  // a fixed gamma2 drafts per verification
  }
}

struct LoopSummary {
  double per_token_mean = 0, per_token_sd = 0, rounds_mean = 0;
  double rate = 0, per_token_rate = 0;  // pooled over the runs: per round, and per token
  double middle_rate = 0;                // the middle stage's, per token
  double host_fraction = 0;              // the host thread busy (issuing, syncing) / the rounds time, overlap included
};

LoopSummary summarize(const std::vector<spec::LoopResult>& runs, double batch) {
  LoopSummary s;
  double sum = 0, sum_sq = 0, accepted = 0, drafted = 0, rejected = 0, mid_acc = 0, mid_rejected = 0, host = 0, rounds_time = 0;
  for (const auto& r : runs) {
    const double t = sim::to_seconds(r.rounds_time()) / (static_cast<double>(r.produced) / batch);
    sum += t;
    sum_sq += t * t;
    s.rounds_mean += static_cast<double>(r.rounds);
    accepted += static_cast<double>(r.accepted);
    drafted += static_cast<double>(r.drafted);
    rejected += static_cast<double>(r.rejected);
    mid_acc += static_cast<double>(r.middle_accepted);
    mid_rejected += static_cast<double>(r.middle_rejected);
    host += sim::to_seconds(r.host);
    rounds_time += sim::to_seconds(r.rounds_time());
  }
  const double n = static_cast<double>(runs.size());
  s.per_token_mean = sum / n;
  s.per_token_sd = n > 1 ? std::sqrt(std::max(0.0, (sum_sq - sum * sum / n) / (n - 1))) : 0;
  s.rounds_mean /= n;
  s.rate = drafted > 0 ? accepted / drafted : 0;
  s.per_token_rate = accepted + rejected > 0 ? accepted / (accepted + rejected) : 0;
  s.middle_rate = mid_acc + mid_rejected > 0 ? mid_acc / (mid_acc + mid_rejected) : std::nan("");
  s.host_fraction = rounds_time > 0 ? host / rounds_time : 0;
  return s;
}

}  // namespace

KindOutput SpeculativeKind::run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  auto bad = [&](const std::string& key, const std::string& msg) {
    return scenarios::ScenarioError({{where(point, key), key, msg}});
  };
  const models::Architecture& target = res_->zoo().get(c.models.target, where(point, "models.target"));
  const models::Architecture& draft = res_->zoo().get(c.models.draft, where(point, "models.draft"));
  const models::Deployment dep = make_deployment(*res_, point, scenarios::get_table(point.tree, "deployment"), "deployment");
  const models::Deployment base = make_deployment(*res_, point, scenarios::get_table(point.tree, "baseline"), "baseline");
  spec::LoopConfig cfg;
  cfg.method = spec::loop_method(c.method.name);
  cfg.gamma1 = c.method.gamma1;
  cfg.gamma2 = c.method.gamma2;
  cfg.retrieval_budget = c.method.retrieval_budget;
  cfg.chunk = c.method.chunk;
  cfg.draft_cache = c.method.draft_cache;
  cfg.naive_draft_cache = c.method.naive_draft_cache;
  cfg.draft_graphs = c.method.draft_graphs;
  cfg.retrieval_graphs = c.method.retrieval_graphs;
  cfg.target_graphs = c.method.target_graphs;
  cfg.prompt = c.workload.context;
  cfg.generate = c.workload.generate;
  cfg.batch = c.workload.batch;

  const double nan = std::nan("");
  // Per-token acceptance probabilities from TriForce's per-round rates, a trace or the small model.
  const Config::Acceptance& a = c.acceptance;
  std::optional<spec::AcceptanceTrace> full_trace, draft_trace;
  auto load_trace = [&](const std::string& key, const std::string& path) {
    try {
      return spec::AcceptanceTrace::load(path);
    } catch (const std::exception& e) {
      throw bad(key, e.what());
    }
  };
  if (!a.draft_trace.empty()) draft_trace = load_trace("acceptance.draft_trace", a.draft_trace);
  const double a_draft = draft_trace ? draft_trace->alpha() : spec::alpha_from_per_round(a.draft, a.draft_gamma);
  double a_full = 0;
  if (a.source == "parameters") {
    if (a.full < 0) throw bad("acceptance.full", "required when acceptance.source = \"parameters\"");
    const int g = a.full_gamma > 0 ? a.full_gamma : cfg.gamma2;
    try {
      a_full = solve_full_alpha(cfg, a.full, a_draft, middle_alpha(a, cfg), g);
    } catch (const std::invalid_argument& e) {
      throw bad("acceptance.full", e.what());
    }
  } else if (a.source == "trace") {
    if (a.full_trace.empty()) throw bad("acceptance.full_trace", "required when acceptance.source = \"trace\"");
    full_trace = load_trace("acceptance.full_trace", a.full_trace);
    a_full = full_trace->alpha();
  } else {
    try {
      a_full = small_model_alpha(point, c);
    } catch (const std::exception& e) {
      throw bad("acceptance.small_model", e.what());
    }
  }
  spec::LoopAcceptance acceptance;
  acceptance.full = a_full;
  acceptance.draft = a_draft;
  acceptance.middle = middle_alpha(a, cfg);
  acceptance.full_trace = full_trace ? &*full_trace : nullptr;
  acceptance.draft_trace = draft_trace ? &*draft_trace : nullptr;

  // Memory: the target with its full cache (or offloaded), the retrieval cache and the draft.
  models::StepShape last;
  last.cached = cfg.prompt + cfg.generate;
  last.batch = cfg.batch;
  const double b = static_cast<double>(cfg.batch);
  const std::vector<models::MemoryItem> residents = {
      {"retrieval_cache", b * static_cast<double>(cfg.retrieval_budget) * static_cast<double>(target.kv_bytes_per_token()) / dep.tp},
      {"draft_model_and_cache", static_cast<double>(draft.weight_bytes()) + b * static_cast<double>(cfg.draft_cache * draft.kv_bytes_per_token())}};
  const models::MemoryPlan mem = models::plan_memory(target, dep, last, residents);
  if (!mem.fits())
    throw scenarios::ScenarioError({{point.file, "deployment", "TriForce's configuration does not fit:\n" + mem.describe()}});

  // Autoregressive baseline: one full forward per token, context growing.
  models::DecodeCurve ar(target, base, cfg.batch, 64);
  const double ar_per_token = ar.generate_seconds(cfg.prompt, cfg.generate) / static_cast<double>(cfg.generate);

  // The decode as a process on the engine: every forward is a span on the GPUs' compute streams.
  spec::LevelCosts costs(target, draft, dep, cfg.batch);
  models::Machine machine = models::make_machine(engine, dep);
  std::vector<sim::Rng> rngs;
  for (int i = 0; i < c.workload.runs; ++i) rngs.push_back(engine.random("acceptance/" + std::to_string(i)));
  std::vector<spec::LoopResult> runs;
  engine.spawn(spec::run_loops(engine, machine, costs, cfg, acceptance, rngs, runs), "triforce");
  engine.run();

  // Latency per generated token of one sequence (the batch advances together), the retrieval
  // cache's build apart (the released code starts its timer after it): mean and spread over runs.
  const LoopSummary sum = summarize(runs, b);
  const double per_token = sum.per_token_mean;
  const std::string row = c.row.empty() ? c.method.name : c.row;
  // The naive policy's figure is read per token when draft_gamma = 1: its row reports the same
  // estimator (accepted / (accepted + rejections)); every other row TriForce's per-round rate.
  const bool naive_per_token = cfg.method == spec::LoopMethod::kNaive && a.draft_gamma == 1;
  const double rate = naive_per_token ? sum.per_token_rate : sum.rate;
  KindOutput out;
  out.metrics = {{"time_per_token", per_token, "s"},
                 {"baseline_time_per_token", ar_per_token, "s"},
                 {"speedup", ar_per_token / per_token, "1"},
                 {"time_per_token_sd", sum.per_token_sd, "s"},
                 {"runs", static_cast<double>(runs.size()), "1"},
                 {"rounds", sum.rounds_mean, "1"},
                 {"acceptance_per_round", sum.rate, "1"},
                 {"acceptance_given", a.source != "parameters" ? nan : cfg.method == spec::LoopMethod::kNaive ? a.draft : a.full, "1"},
                 {"acceptance_per_token", sum.per_token_rate, "1"},
                 {"middle_acceptance", sum.middle_rate, "1"},
                 {"host_busy_fraction", sum.host_fraction, "1"},
                 {"alpha_full", a_full, "1"},
                 {"alpha_draft", a_draft, "1"},
                 {"naive_gamma", static_cast<double>(runs.front().naive_gamma), "1"},
                 {"retrieval_build_time", sim::to_seconds(runs.front().build), "s"},
                 {"gpu_memory", mem.gpu_total, "B"}};
  const std::string& pre = c.metric_prefix;
  const std::string speedup_name = c.speedup_metric.empty() ? pre + "speedup" : c.speedup_metric;
  if (c.report == "upper-bound") {
    // With unbounded drafts and free drafting, a verification yields 1 / (1 - alpha) tokens on
    // average: the speedup's limit when one verification costs one autoregressive step.
    out.table = {{row, "triforce", "1", 1 / (1 - a_full), nan}, {row, "naive", "1", 1 / (1 - a_draft), nan}};
    return out;
  }
  out.table = {{row, speedup_name, "1", ar_per_token / per_token, nan},
               {row, pre + "ms", "ms", per_token * 1e3, nan},
               {row, "baseline_ms", "ms", ar_per_token * 1e3, nan},
               {row, pre + "acceptance", "1", rate, nan}};
  if (a.source != "parameters") out.table.push_back({row, pre + "alpha_full", "1", a_full, nan});
  return out;
}

std::unique_ptr<Kind> speculative_kind(std::shared_ptr<const Resources> res) { return std::make_unique<SpeculativeKind>(std::move(res)); }

}  // namespace kvsim::runner
