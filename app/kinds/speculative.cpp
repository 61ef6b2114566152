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
#include "models/execution.h"
#include "models/lm/checkpoint.h"
#include "models/memory.h"
#include "models/speculative/acceptance.h"
#include "models/speculative/math.h"
#include "models/speculative/triforce_loop.h"

namespace kvsim::runner {
namespace {

class SpeculativeKind final : public Kind {
 public:
  explicit SpeculativeKind(std::shared_ptr<const Resources> res);
  std::string_view name() const override { return "speculative"; }
  std::string_view description() const override {
    return "TriForce hierarchical speculative decoding and its baselines, forwards charged on modeled GPUs";
  }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
  scenarios::TableSchema schema_;
  // Small-model episodes (acceptance source "small-model"), prefilled once per registry: a sweep
  // over budgets or chunk sizes reuses them.
  struct EpisodeCache;
  std::shared_ptr<EpisodeCache> episodes_;
};

}  // namespace

using scenarios::TableSchema;

struct SpeculativeKind::EpisodeCache {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const models::lm::LmWeights>> weights;
  std::map<std::string, std::shared_ptr<const std::vector<models::lm::PreparedEpisode>>> by_key;
};

SpeculativeKind::SpeculativeKind(std::shared_ptr<const Resources> res)
    : res_(std::move(res)), episodes_(std::make_shared<EpisodeCache>()) {
  TableSchema models;
  models.string("target", "target architecture").required();
  models.string("draft", "draft architecture").defaults("llama-68m");
  TableSchema method;
  method.string("name", "what decodes").required().choices(
      {"triforce", "triforce-code", "naive", "retrieval-wo-hierarchy", "streamingllm-w-hierarchy"});
  method.integer("gamma1", "draft tokens per middle iteration").defaults(2).min(1).max(16);
  method.integer("gamma2", "tokens collected before the full verification").defaults(6).min(1).max(64);
  method.integer("retrieval_budget", "tokens in the retrieval (or middle StreamingLLM) cache").defaults(4096).min(16);
  method.integer("chunk", "tokens per retrieval-cache chunk (its construction scores one mean key per chunk)").defaults(8).min(1);
  method.integer("draft_cache", "the 68M draft's StreamingLLM budget").defaults(256).min(16);
  method.integer("naive_draft_cache", "the naive policy's StreamingLLM budget").defaults(1024).min(16);
  method.boolean("draft_graphs", "the draft runs from CUDA graphs").defaults(true);
  method.boolean("retrieval_graphs", "the retrieval-cache forward runs from a CUDA graph").defaults(true);
  method.boolean("target_graphs", "the full-cache forward runs from a CUDA graph").defaults(false);
  TableSchema acc;
  acc.string("source", "where acceptance comes from: parameters (below), small-model (execute mode), trace")
      .defaults("parameters").choices({"parameters", "small-model", "trace"});
  acc.number("full", "per-round acceptance, retrieval level -> full target (TriForce's definition)")
      .defaults(-1.0).max(0.999);
  acc.integer("full_gamma", "the gamma at which `full` was measured (0: the method's gamma2)").defaults(0).min(0);
  acc.number("draft", "per-round acceptance, 68M draft -> target, at draft_gamma").required().min(0).max(0.999);
  acc.integer("draft_gamma", "the gamma at which `draft` was measured").defaults(4).min(1);
  acc.string("full_trace", "source = trace: 0/1 outcomes of the full verification's drafted tokens").defaults("");
  acc.string("draft_trace", "0/1 outcomes of the draft's tokens (optional; else `draft`)").defaults("");
  TableSchema small;
  small.string("policy", "the drafting model's KV policy").defaults("triforce").choices({"triforce", "streaming", "h2o", "snapkv", "quest"});
  small.integer("budget", "its budget in tokens (scale the 7B budget to the small context)").defaults(64).min(16);
  small.integer("chunk", "triforce's chunk size").defaults(8).min(1);
  small.integer("context", "episode length (bytes)").defaults(2048).min(128).max(8192);
  small.integer("episodes", "episodes averaged").defaults(6).min(1).max(200);
  small.string("task", "held-out text or passkey episodes").defaults("text").choices({"text", "passkey"});
  small.string("checkpoint", "small-model checkpoint (empty: the committed one)").defaults("");
  acc.table("small_model", "source = small-model: how the full-verification acceptance is measured", std::move(small));
  acc.number("middle", "per-round acceptance, StreamingLLM middle cache -> full (streamingllm-w-hierarchy)")
      .defaults(0.0).min(0).max(0.999);
  TableSchema work;
  work.integer("context", "prompt tokens").required().min(1);
  work.integer("generate", "tokens generated (per sequence)").defaults(256).min(1);
  work.integer("batch", "sequences decoded together, each with its own context and caches").defaults(1).min(1).max(256);
  work.number("temperature", "sampling temperature (acceptance carries its effect, except with source = small-model)")
      .defaults(0.6).min(0);
  work.number("top_p", "nucleus sampling (used with source = small-model)").defaults(0.9).min(0, true).max(1);
  schema_.table("models", "the target and draft", std::move(models)).required();
  schema_.table("deployment", "where the target (and the draft) run", deployment_schema()).required();
  schema_.table("baseline", "where autoregressive decoding runs (TriForce's baselines)", deployment_schema()).required();
  schema_.table("method", "the speculative method", std::move(method)).required();
  schema_.table("acceptance", "acceptance rates (TriForce's per-round definition)", std::move(acc)).required();
  schema_.table("workload", "what is decoded", std::move(work)).required();
  schema_.string("row", "the table row this point fills").defaults("");
  schema_.string("metric_prefix", "prefix of the table's metric names, e.g. triforce_").defaults("");
  schema_.string("speedup_metric", "name of the speedup metric (default: prefix + speedup)").defaults("");
}

KindOutput SpeculativeKind::run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const toml::table& t = point.tree;
  const models::Architecture& target = res_->zoo().get(scenarios::get_string(t, "models.target"), where(point, "models.target"));
  const models::Architecture& draft = res_->zoo().get(scenarios::get_string(t, "models.draft"), where(point, "models.draft"));
  models::spec::LoopConfig cfg;
  try {
    cfg.method = models::spec::loop_method(scenarios::get_string(t, "method.name"));
  } catch (const std::invalid_argument& e) {
    throw scenarios::ScenarioError({{where(point, "method.name"), "method.name", e.what()}});
  }
  const models::Deployment dep = make_deployment(*res_, point, scenarios::get_table(t, "deployment"), "deployment");
  const models::Deployment base = make_deployment(*res_, point, scenarios::get_table(t, "baseline"), "baseline");
  const std::string method = scenarios::get_string(t, "method.name");
  cfg.gamma1 = static_cast<int>(scenarios::get_integer(t, "method.gamma1"));
  cfg.gamma2 = static_cast<int>(scenarios::get_integer(t, "method.gamma2"));
  cfg.retrieval_budget = scenarios::get_integer(t, "method.retrieval_budget");
  cfg.chunk = scenarios::get_integer(t, "method.chunk");
  cfg.draft_cache = scenarios::get_integer(t, "method.draft_cache");
  cfg.naive_draft_cache = scenarios::get_integer(t, "method.naive_draft_cache");
  cfg.draft_graphs = scenarios::get_bool(t, "method.draft_graphs");
  cfg.retrieval_graphs = scenarios::get_bool(t, "method.retrieval_graphs");
  cfg.target_graphs = scenarios::get_bool(t, "method.target_graphs");
  cfg.prompt = scenarios::get_integer(t, "workload.context");
  cfg.generate = scenarios::get_integer(t, "workload.generate");
  cfg.batch = scenarios::get_integer(t, "workload.batch");
  const int g2 = cfg.gamma2;
  // Per-token acceptance probabilities from TriForce's per-round rates.
  const int full_gamma = static_cast<int>(scenarios::get_integer(t, "acceptance.full_gamma"));
  const std::string source = scenarios::get_string(t, "acceptance.source");
  sim::Rng rng = engine.random("acceptance");
  auto bad = [&](const std::string& key, const std::string& msg) {
    return scenarios::ScenarioError({{where(point, key), key, msg}});
  };
  std::optional<models::spec::AcceptanceTrace> full_trace, draft_trace;
  auto load_trace = [&](const std::string& key) {
    try {
      return models::spec::AcceptanceTrace::load(scenarios::get_string(t, key));
    } catch (const std::exception& e) {
      throw bad(key, e.what());
    }
  };
  double a_full = 0;
  if (source == "parameters") {
    if (scenarios::get_number(t, "acceptance.full") < 0) throw bad("acceptance.full", "required when acceptance.source = \"parameters\"");
    a_full = models::spec::alpha_from_per_round(scenarios::get_number(t, "acceptance.full"), full_gamma > 0 ? full_gamma : g2);
  } else if (source == "trace") {
    if (scenarios::get_string(t, "acceptance.full_trace").empty()) throw bad("acceptance.full_trace", "required when acceptance.source = \"trace\"");
    full_trace = load_trace("acceptance.full_trace");
    a_full = full_trace->alpha();
  } else {
    models::spec::SmallModelAcceptance spec;
    spec.policy = scenarios::get_string(t, "acceptance.small_model.policy");
    spec.budget = static_cast<int>(scenarios::get_integer(t, "acceptance.small_model.budget"));
    spec.chunk = static_cast<int>(scenarios::get_integer(t, "acceptance.small_model.chunk"));
    spec.context = static_cast<int>(scenarios::get_integer(t, "acceptance.small_model.context"));
    spec.episodes = static_cast<int>(scenarios::get_integer(t, "acceptance.small_model.episodes"));
    spec.task = scenarios::get_string(t, "acceptance.small_model.task");
    spec.temperature = scenarios::get_number(t, "workload.temperature");
    spec.top_p = scenarios::get_number(t, "workload.top_p");
    spec.seed = point.seed();
    std::string ckpt = scenarios::get_string(t, "acceptance.small_model.checkpoint");
    if (ckpt.empty()) ckpt = models::lm::default_small_lm_path();
    try {
      std::shared_ptr<const std::vector<models::lm::PreparedEpisode>> eps;
      {
        std::lock_guard lock(episodes_->mu);
        const std::string key = ckpt + "|" + spec.task + "|" + std::to_string(spec.context) + "|" +
                                std::to_string(spec.episodes) + "|" + std::to_string(spec.seed) + "|" +
                                std::to_string(spec.temperature) + "|" + std::to_string(spec.top_p);
        auto& slot = episodes_->by_key[key];
        if (!slot) {
          auto& w = episodes_->weights[ckpt];
          if (!w) w = std::make_shared<const models::lm::LmWeights>(models::lm::load_small_lm(ckpt));
          slot = std::make_shared<const std::vector<models::lm::PreparedEpisode>>(models::spec::small_model_episodes(*w, spec));
        }
        eps = slot;
      }
      a_full = models::spec::small_model_alpha(*eps, spec);
    } catch (const std::exception& e) {
      throw bad("acceptance.small_model", e.what());
    }
  }
  if (!scenarios::get_string(t, "acceptance.draft_trace").empty()) draft_trace = load_trace("acceptance.draft_trace");
  const double a_draft = draft_trace ? draft_trace->alpha()
                                     : models::spec::alpha_from_per_round(scenarios::get_number(t, "acceptance.draft"),
                                                            static_cast<int>(scenarios::get_integer(t, "acceptance.draft_gamma")));
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
  models::spec::LoopAcceptance acceptance;
  acceptance.full = a_full;
  acceptance.draft = a_draft;
  acceptance.middle = models::spec::alpha_from_per_round(
      scenarios::get_number(t, "acceptance.middle") > 0 ? scenarios::get_number(t, "acceptance.middle") : 0.5, cfg.gamma1);
  acceptance.full_trace = full_trace ? &*full_trace : nullptr;
  acceptance.draft_trace = draft_trace ? &*draft_trace : nullptr;
  models::spec::LevelCosts costs(target, draft, dep, cfg.batch);
  models::Machine machine = models::make_machine(engine, dep);
  models::spec::LoopResult loop;
  engine.spawn(models::spec::run_loop(engine, machine, costs, cfg, acceptance, rng, loop), "triforce");
  engine.run();
  const double total = sim::to_seconds(loop.decode);
  const double build = sim::to_seconds(loop.build);
  const std::int64_t produced = loop.produced, rounds = loop.rounds, drafted = loop.drafted, accepted_full = loop.accepted;
  const int naive_gamma = loop.naive_gamma;

  // Latency per generated token of one sequence (the batch advances together).
  const double per_token = total / (static_cast<double>(produced) / b);
  const std::string row = scenarios::get_string(t, "row").empty() ? method : scenarios::get_string(t, "row");
  const double nan = std::nan("");
  KindOutput out;
  out.metrics = {{"ms_per_token", per_token * 1e3, "ms"},
                 {"baseline_ms_per_token", ar_per_token * 1e3, "ms"},
                 {"speedup", ar_per_token / per_token, "1"},
                 {"rounds", static_cast<double>(rounds), "1"},
                 {"acceptance_per_round", static_cast<double>(accepted_full) / static_cast<double>(drafted), "1"},
                 {"alpha_full", a_full, "1"},
                 {"naive_gamma", static_cast<double>(naive_gamma), "1"},
                 {"retrieval_build_ms", build * 1e3, "ms"},
                 {"gpu_memory", mem.gpu_total, "B"}};
  const std::string pre = scenarios::get_string(t, "metric_prefix");
  const std::string speedup_name =
      scenarios::get_string(t, "speedup_metric").empty() ? pre + "speedup" : scenarios::get_string(t, "speedup_metric");
  out.table = {{row, speedup_name, "1", ar_per_token / per_token, nan},
               {row, pre + "ms", "ms", per_token * 1e3, nan},
               {row, "baseline_ms", "ms", ar_per_token * 1e3, nan},
               {row, pre + "acceptance", "1", static_cast<double>(accepted_full) / static_cast<double>(drafted), nan}};
  if (source != "parameters") out.table.push_back({row, pre + "alpha_full", "1", a_full, nan});
  return out;
}

std::unique_ptr<Kind> speculative_kind(std::shared_ptr<const Resources> res) { return std::make_unique<SpeculativeKind>(std::move(res)); }

}  // namespace kvsim::runner
