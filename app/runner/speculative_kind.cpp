// app/runner/speculative_kind.cpp — TriForce in cost mode.
#include "app/runner/speculative_kind.h"

#include <mutex>
#include <optional>

#include "app/runner/acceptance_source.h"
#include "models/lm/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "hardware/kernel_cost.h"
#include "models/decode_curve.h"
#include "models/memory.h"
#include "models/speculative.h"

namespace kvsim::runner {

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

namespace {

struct Forwards {
  const models::Architecture& target;
  const models::Architecture& draft;
  models::Deployment dep;       // target deployment (offloading etc.)
  models::Deployment on_chip;   // the same GPUs with the KV on chip (retrieval cache, draft)
  std::int64_t batch = 1;
  std::map<std::tuple<int, std::int64_t, std::int64_t, bool>, double> memo;
  // One forward of `which` (0 draft, 1 target + retrieval cache, 2 target + full cache) over q new
  // tokens per sequence for the whole batch.
  double forward(int which, std::int64_t q, std::int64_t cached, bool graphs) {
    const auto key = std::make_tuple(which, q, cached, graphs);
    auto it = memo.find(key);
    if (it != memo.end()) return it->second;
    models::Deployment d = which == 2 ? dep : on_chip;
    d.cuda_graphs = graphs;
    if (which == 0) d.tp = 1;  // the draft is replicated on every GPU, not split
    const models::Architecture& a = which == 0 ? draft : target;
    const double t = models::simulate_forward(a, d, batch, q, cached, true);
    memo.emplace(key, t);
    return t;
  }
};

}  // namespace

KindOutput SpeculativeKind::run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const toml::table& t = point.tree;
  const models::Architecture& target = res_->zoo().get(scenarios::get_string(t, "models.target"), where(point, "models.target"));
  const models::Architecture& draft = res_->zoo().get(scenarios::get_string(t, "models.draft"), where(point, "models.draft"));
  Forwards fw{target, draft, make_deployment(*res_, point, scenarios::get_table(t, "deployment"), "deployment"), {}, 1, {}};
  fw.on_chip = fw.dep;
  fw.on_chip.kv = models::KvPlacement::kGpu;
  const models::Deployment base = make_deployment(*res_, point, scenarios::get_table(t, "baseline"), "baseline");
  const std::string method = scenarios::get_string(t, "method.name");
  const int g1 = static_cast<int>(scenarios::get_integer(t, "method.gamma1"));
  const int g2 = static_cast<int>(scenarios::get_integer(t, "method.gamma2"));
  const std::int64_t budget = scenarios::get_integer(t, "method.retrieval_budget");
  const std::int64_t dcache = scenarios::get_integer(t, "method.draft_cache");
  const std::int64_t ncache = scenarios::get_integer(t, "method.naive_draft_cache");
  const bool dg = scenarios::get_bool(t, "method.draft_graphs"), rg = scenarios::get_bool(t, "method.retrieval_graphs"),
             tg = scenarios::get_bool(t, "method.target_graphs");
  const std::int64_t prompt = scenarios::get_integer(t, "workload.context");
  const std::int64_t gen = scenarios::get_integer(t, "workload.generate");
  const std::int64_t batch = scenarios::get_integer(t, "workload.batch");
  fw.batch = batch;
  // Per-token acceptance probabilities from TriForce's per-round rates.
  const int full_gamma = static_cast<int>(scenarios::get_integer(t, "acceptance.full_gamma"));
  const std::string source = scenarios::get_string(t, "acceptance.source");
  sim::Rng rng = engine.random("acceptance");
  auto bad = [&](const std::string& key, const std::string& msg) {
    return scenarios::ScenarioError({{where(point, key), key, msg}});
  };
  std::optional<AcceptanceTrace> full_trace, draft_trace;
  auto load_trace = [&](const std::string& key) {
    try {
      return AcceptanceTrace::load(scenarios::get_string(t, key));
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
    SmallModelAcceptance spec;
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
          slot = std::make_shared<const std::vector<models::lm::PreparedEpisode>>(small_model_episodes(*w, spec));
        }
        eps = slot;
      }
      a_full = small_model_alpha(*eps, spec);
    } catch (const std::exception& e) {
      throw bad("acceptance.small_model", e.what());
    }
  }
  if (!scenarios::get_string(t, "acceptance.draft_trace").empty()) draft_trace = load_trace("acceptance.draft_trace");
  const double a_draft = draft_trace ? draft_trace->alpha()
                                     : models::spec::alpha_from_per_round(scenarios::get_number(t, "acceptance.draft"),
                                                            static_cast<int>(scenarios::get_integer(t, "acceptance.draft_gamma")));
  // One round of drafts at per-token acceptance `alpha`, or from the recorded trace when one is given.
  auto draft_round = [&](double alpha, int gamma) {
    return draft_trace ? draft_trace->round(gamma) : models::spec::simulate_round(alpha, gamma, rng);
  };
  const double a_middle_rate = scenarios::get_number(t, "acceptance.middle");

  // Memory: the target with its full cache (or offloaded), the retrieval cache and the draft.
  models::StepShape last;
  last.cached = prompt + gen;
  last.batch = batch;
  const double b = static_cast<double>(batch);
  const std::vector<models::MemoryItem> residents = {
      {"retrieval_cache", b * static_cast<double>(budget) * static_cast<double>(target.kv_bytes_per_token()) / fw.dep.tp},
      {"draft_model_and_cache", static_cast<double>(draft.weight_bytes()) + b * static_cast<double>(dcache * draft.kv_bytes_per_token())}};
  const models::MemoryPlan mem = models::plan_memory(target, fw.dep, last, residents);
  if (!mem.fits())
    throw scenarios::ScenarioError({{point.file, "deployment", "TriForce's configuration does not fit:\n" + mem.describe()}});

  // Autoregressive baseline: one full forward per token, context growing.
  models::DecodeCurve ar(target, base, batch, 64);
  const double ar_per_token = ar.generate_seconds(prompt, gen) / static_cast<double>(gen);

  // A round's update of the retrieval cache: the new tokens' KV written into it (read + write).
  auto cache_update = [&](std::int64_t tokens) {
    hardware::KernelWork k{"retrieval_update", hardware::KernelClass::kElementwise, 0,  // tokens summed over the batch
                           2.0 * static_cast<double>(tokens) * static_cast<double>(target.kv_bytes_per_token()) / fw.dep.tp};
    return sim::to_seconds(hardware::kernel_cost(fw.dep.gpu, k, false).time);
  };

  // The retrieval cache's construction after prefill (once): every prompt key is read to form the
  // chunk means (across the host link for offloaded layers), the chunks are scored, and the budget's
  // K and V are gathered into the cache. Charged to the decode and reported on its own.
  double build = 0;
  if (method != "naive") {
    const double kv_tok = static_cast<double>(target.kv_bytes_per_token()) / fw.dep.tp;
    const double keys = b * static_cast<double>(prompt) * kv_tok / 2;
    const double chunks = static_cast<double>(prompt) / static_cast<double>(scenarios::get_integer(t, "method.chunk"));
    hardware::KernelWork k{"retrieval_build", hardware::KernelClass::kElementwise,
                           2.0 * b * chunks * static_cast<double>(target.heads * target.head_dim) / fw.dep.tp,
                           keys + 2.0 * b * static_cast<double>(budget) * kv_tok};
    build = sim::to_seconds(hardware::kernel_cost(fw.dep.gpu, k, false).time);
    if (fw.dep.kv == models::KvPlacement::kOffload) {
      const double offloaded = static_cast<double>(target.layers - fw.dep.on_chip_layers) / static_cast<double>(target.layers);
      build += sim::to_seconds(hardware::copy_cost(fw.dep.host_link, keys * offloaded, true).time);
    }
  }
  double total = build;
  std::int64_t produced = 0, rounds = 0, drafted = 0, accepted_full = 0;
  int naive_gamma = 1;
  double best_naive = 1e300;
  if (method == "naive") {
    // The naive policy's best gamma, by the closed form (the paper's tuning is not stated).
    for (int g = 1; g <= 8; ++g) {
      const double round = g * fw.forward(0, 1, ncache, dg) + fw.forward(2, g + 1, prompt, tg);
      const double per_token = round / models::spec::expected_tokens(a_draft, g);
      if (per_token < best_naive) { best_naive = per_token; naive_gamma = g; }
    }
  }
  // Each sequence accepts independently; a batched level runs until every sequence has collected
  // its tokens (finished sequences ride along, as padded batch kernels do). With batch = 1 this is
  // exactly the single-sequence loop. `produced` counts tokens over all sequences.
  std::vector<int> collected(batch);
  while (produced < gen * batch) {
    const std::int64_t ctx = prompt + produced / batch;
    double round_time = 0;
    std::fill(collected.begin(), collected.end(), 0);  // tokens handed to the full verification
    auto pending = [&] { return *std::min_element(collected.begin(), collected.end()) < g2; };
    if (method == "triforce" || method == "streamingllm-w-hierarchy") {
      const double a_mid = method == "triforce" ? a_draft
                                                : models::spec::alpha_from_per_round(a_middle_rate > 0 ? a_middle_rate : 0.5, g1);
      while (pending()) {
        round_time += g1 * fw.forward(0, 1, dcache, dg) + fw.forward(1, g1 + 1, budget, rg);
        for (auto& c : collected)
          if (c < g2) c += (method == "triforce" ? draft_round(a_mid, g1) : models::spec::simulate_round(a_mid, g1, rng)) + 1;
      }
    } else if (method == "triforce-code") {
      while (pending()) {
        round_time += fw.forward(0, 1, dcache, dg) + fw.forward(1, g2 + 1, budget, rg);
        for (auto& c : collected)
          if (c < g2) c += draft_round(a_draft, 1) == 1 ? 2 : 1;
      }
    } else if (method == "retrieval-wo-hierarchy") {
      round_time += g2 * fw.forward(1, 1, budget, rg);
      std::fill(collected.begin(), collected.end(), g2);
    } else {  // naive
      round_time += naive_gamma * fw.forward(0, 1, ncache, dg);
      std::fill(collected.begin(), collected.end(), naive_gamma);
    }
    // The full verification of everything collected, then the draft re-sync and cache update.
    const int widest = *std::max_element(collected.begin(), collected.end());
    const double a_verify = method == "naive" ? a_draft : a_full;
    round_time += fw.forward(2, widest + 1, ctx, tg);
    std::int64_t out_tokens = 0;
    for (const int c : collected) {
      const int acc = method == "naive" ? draft_round(a_draft, c)
                      : full_trace    ? full_trace->round(c)
                                      : models::spec::simulate_round(a_verify, c, rng);
      out_tokens += acc + 1;
      drafted += c;
      accepted_full += acc;
    }
    if (method != "naive" && method != "retrieval-wo-hierarchy") round_time += fw.forward(0, widest + 2, dcache, dg);
    if (method != "naive") round_time += cache_update(out_tokens);
    total += round_time;
    produced += out_tokens;
    ++rounds;
  }
  // Charge the whole decode on the engine's clock too, so the timeline of the run is its length.
  engine.spawn([](sim::Engine& e, double seconds) -> sim::Task<void> { co_await e.sleep(sim::from_seconds(seconds)); }(engine, total),
               "decode");
  engine.run();

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

}  // namespace kvsim::runner
