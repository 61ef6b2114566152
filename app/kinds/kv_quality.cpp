// app/kinds/kv_quality.cpp — kind "kv-quality": runs a KV policy on kvsim's small trained
// model over seeded episodes (passkey, key-value lookup, named needles, held-out text) and reports what it loses
// against the full cache and what work it does (models/lm/policy_eval.h defines every metric);
// a mean decode step (each layer's attention over the attended rows, then the policy's selection
// kernels; models/selection_cost.h) is charged on a GPU once per decode step evaluated, so its
// --trace shows the steps and the metrics give their modeled time.
//
// Scenario: [policy] name + that policy's parameters (kvsim list policies); [workload] task,
// context, episodes, filler, evaluation (whole-prompt / question-agnostic); [sampling] temperature/top_p for the draft
// acceptance; [model] checkpoint (default: the committed one) and positions_per_token (token-length
// policy defaults are scaled by it: 4 on the byte model); [device] gpu and cuda_graphs for
// the selection kernels. Sweeps over policy x budget x context are ordinary scenario sweeps.
// Prefilled episodes are cached per (task, context, seed, ...) inside one registry
// (models/lm/episode_cache.h), so a sweep prefills each episode once, on the workers that need it.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "models/kv/policy.h"
#include "models/lm/episode_cache.h"
#include "models/lm/policy_eval.h"
#include "models/lm/trace_replay.h"
#include "models/selection_cost.h"
#include "sim/device.h"
#include "sim/random.h"

namespace kvsim::runner {
namespace {

namespace lm = models::lm;
namespace kv = models::kv;

// The named checkpoint's positions per token, read from its header (empty: the committed model).
// A file that cannot be read resolves to the byte model's: the run's load then reports it, with the
// key, where a resolution rule could not.
double model_positions_per_token(const std::string& checkpoint) {
  try {
    return lm::read_small_lm_config(checkpoint.empty() ? lm::default_small_lm_path() : checkpoint).positions_per_token();
  } catch (const std::runtime_error&) {
    return lm::LmConfig{}.positions_per_token();
  }
}

struct Config {
  struct Policy {
    std::string name;
    const toml::table* table = nullptr;  // its parameters, each a number, defaults filled in
  } policy;
  struct Workload {
    std::string task = "passkey";
    int context = 1024, episodes = 10;
    std::string filler = "documents";
    std::string evaluation = "whole-prompt";
    int continuation = 64;
    double depth = -1.0;
    std::string trace;
  } workload;
  struct Sampling {
    double temperature = 0.6, top_p = 0.9;
  } sampling;
  struct Model {
    std::string checkpoint;
    double positions_per_token = 0;  // 0 until resolved: see the scenario rule below
  } model;
  struct Device {
    std::string gpu = "a100-80gb-sxm";
    bool cuda_graphs = false;
  } device;
  std::string row;
};

scenarios::Binder<Config> config_binder() {
  using P = Config::Policy;
  scenarios::Binder<P> policy;
  std::vector<std::string> names;
  std::set<std::string> params;
  for (const auto& p : kv::policy_catalog()) {
    names.push_back(p.name);
    for (const auto& s : p.params) params.insert(s.name);
  }
  policy.bind("name", &P::name, "the policy (kvsim list policies)").required().choices(names);
  for (const auto& p : params) policy.schema().number(p, "a policy parameter (kvsim list policies gives meaning and default)");
  policy.self(&P::table);
  // The named policy's own parameters: another policy's is refused, a missing one gets its default,
  // so the resolved scenario (and its hash) states every value the policy used.
  policy.schema().rule([](toml::table& t, const std::string& key, std::string_view fallback, std::vector<scenarios::Diagnostic>& out) {
    const auto name = t["name"].value<std::string>();
    const auto& catalog = kv::policy_catalog();
    const auto info = std::find_if(catalog.begin(), catalog.end(), [&](const kv::PolicyInfo& p) { return name && p.name == *name; });
    if (info == catalog.end()) return;  // a missing or unknown name is reported by its field
    std::string own;
    for (const auto& spec : info->params) own += (own.empty() ? "" : ", ") + spec.name;
    for (auto&& entry : t) {
      const toml::key& k = entry.first;  // named: clang 14 cannot capture a structured binding in a lambda (C++20 allows it)
      if (k.str() == "name") continue;
      const bool mine = std::any_of(info->params.begin(), info->params.end(), [&](const kv::ParamSpec& p) { return p.name == k.str(); });
      if (!mine)
        out.push_back({scenarios::location_of(k.source(), fallback), key + "." + std::string(k.str()),
                       "policy '" + *name + "' has no such parameter (its parameters: " + (own.empty() ? "none" : own) + ")"});
    }
  });
  using W = Config::Workload;
  scenarios::Binder<W> workload;
  workload.bind("task", &W::task, "episodes: passkey retrieval, key-value lookup, named needles (one of several asked by name), or held-out text")
      .choices({"passkey", "kv", "needles", "text"});
  workload.bind("context", &W::context, "episode length in tokens (bytes)").min(64).max(16384);
  workload.bind("episodes", &W::episodes, "episodes averaged").min(1).max(1000);
  workload.bind("filler", &W::filler,
                "haystack (and held-out text) source: held-out long documents (python3.11-doc), held-out fortunes "
                "(\"corpus\"), or the classic repeated filler (text task: documents)")
      .choices({"documents", "corpus", "classic"});
  workload.bind("evaluation", &W::evaluation,
                "whole-prompt: the question is in the prompt (SnapKV, Quest, TriForce); question-agnostic: the context is "
                "compressed before the question is decoded through the policy (kvpress)")
      .choices({"whole-prompt", "question-agnostic"});
  workload.bind("continuation", &W::continuation, "text task: bytes predicted after the context").min(1).max(4096);
  workload.bind("depth", &W::depth, "needle depth in [0, 1]; negative: uniform at random").max(1.0);
  workload.bind("trace", &W::trace, "an HDF5 KV trace (results/SCHEMA.md) to replay instead of running the small model");
  scenarios::Binder<Config::Sampling> sampling;
  sampling.bind("temperature", &Config::Sampling::temperature, "temperature of the draft-acceptance measurement").min(0);
  sampling.bind("top_p", &Config::Sampling::top_p, "nucleus of the draft-acceptance measurement").min(0, true).max(1);
  scenarios::Binder<Config::Model> model;
  model.bind("checkpoint", &Config::Model::checkpoint, "small-model checkpoint; empty: the committed models/small/kvsim-byte-lm.bin");
  model.bind("positions_per_token", &Config::Model::positions_per_token,
             "the model's positions per real token: token-length policy defaults (windows, kernels, pages, chunks, "
             "sinks) are scaled by it; 0: the model's own (4 for the byte model, 1 for a trace of a token model)")
      .min(0);
  scenarios::Binder<Config::Device> device;
  device.bind("gpu", &Config::Device::gpu, "the GPU profile the selection kernels are costed on (kvsim list hardware)");
  device.bind("cuda_graphs", &Config::Device::cuda_graphs, "selection kernels replayed from a CUDA graph (graph-node launch floor)");
  scenarios::Binder<Config> b;
  b.table("policy", &Config::policy, "the KV policy under test", policy).required();
  b.table("workload", &Config::workload, "what the policy is measured on", workload);
  b.table("sampling", &Config::sampling, "draft acceptance settings", sampling);
  b.table("model", &Config::model, "the model", model);
  b.table("device", &Config::device, "where the policy's selection work is costed", device);
  b.bind("row", &Config::row, "the reproduced table's row this point fills (e.g. \"mpcache/budget=128\")");
  // The named policy's missing parameters get their defaults, token lengths scaled by the model's
  // positions per token (resolved here too), so the resolved scenario (and its hash) states every
  // value the policy used. Runs after the tables' own checks, which report unknown names and keys.
  b.schema().rule([](toml::table& root, const std::string&, std::string_view, std::vector<scenarios::Diagnostic>&) {
    auto* pol = root["policy"].as_table();
    auto* mod = root["model"].as_table();
    if (!pol || !mod) return;
    double scale = (*mod)["positions_per_token"].value<double>().value_or(0.0);
    if (!(scale > 0)) {
      const auto* wl = root["workload"].as_table();
      const bool trace = wl && !(*wl)["trace"].value<std::string>().value_or("").empty();
      scale = trace ? 1.0 : model_positions_per_token((*mod)["checkpoint"].value<std::string>().value_or(""));
    }
    mod->insert_or_assign("positions_per_token", scale);
    const auto name = (*pol)["name"].value<std::string>();
    if (!name) return;
    kv::PolicyParams given;
    for (auto&& entry : *pol)
      if (entry.first.str() != "name")
        if (const auto v = entry.second.value<double>()) given[std::string(entry.first.str())] = *v;
    try {
      for (const auto& [key, value] : kv::resolve_policy_params(*name, given, scale))
        if (!pol->contains(key)) pol->insert(key, value);
    } catch (const std::invalid_argument&) {
      // an unknown name or parameter: its field has reported it
    }
  });
  return b;
}

class KvQualityKind final : public BoundKind<Config> {
 public:
  explicit KvQualityKind(std::shared_ptr<const Resources> res) : BoundKind(config_binder()), res_(std::move(res)) {}
  std::string_view name() const override { return "kv-quality"; }
  std::string_view description() const override {
    return "a KV eviction/selection policy on the small trained model: recall, error, accuracy, acceptance, work";
  }
  // Execute mode on the small model: episodes, each prefilled over its context (quadratic).
  double relative_cost(const scenarios::ScenarioPoint& point) const override {
    const auto& w = point.tree["workload"];
    return small_model_relative_cost(w["episodes"].value_or<std::int64_t>(1), w["context"].value_or<std::int64_t>(1024));
  }

 protected:
  KindOutput run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  struct Cache {
    std::mutex mu;  // guards weights and corpus
    std::map<std::string, std::shared_ptr<const models::lm::LmWeights>> weights;
    std::map<std::string, std::shared_ptr<const std::string>> corpus;
    models::lm::EpisodeCache episodes;  // shares the preparation among the workers that need it
  };
  std::shared_ptr<const Resources> res_;
  std::shared_ptr<Cache> cache_ = std::make_shared<Cache>();
};

}  // namespace

namespace {

struct StepShape {
  int layers, heads, kv_heads, head_dim;
};
// The mean decode step on the GPU's compute stream, once per decode step evaluated: each layer's
// attention over the rows the policy attended, then the policy's selection kernels. Adds the
// modeled seconds of one step's attention and selection to `out`.
void charge_decode_steps(sim::Engine& engine, const hardware::GpuProfile& gpu, bool cuda_graphs, const kv::PolicyWork& decode,
                         int steps, double attended_rows, const StepShape& sh, KindOutput& out) {
  const std::vector<hardware::KernelWork> attention(static_cast<std::size_t>(sh.layers),
                                                    models::attention_kernel(attended_rows, sh.head_dim, sh.heads, sh.kv_heads));
  const auto selection = models::selection_kernels(models::mean_step_work(decode, steps), sh.head_dim);
  std::vector<hardware::KernelWork> step = attention;
  step.insert(step.end(), selection.begin(), selection.end());
  sim::Device device(engine, gpu.name, {"compute"});
  engine.spawn(models::run_steps(device.stream("compute"), gpu, step, steps, cuda_graphs), "decode-kv");
  engine.run();
  out.metrics.push_back({"decode_attention_s", sim::to_seconds(models::kernels_time(gpu, attention, cuda_graphs)), "s/step"});
  out.metrics.push_back({"decode_selection_s", sim::to_seconds(models::kernels_time(gpu, selection, cuda_graphs)), "s/step"});
}

// Attention-level metrics only: a trace has no model to continue the sequence with.
KindOutput run_trace(const scenarios::ScenarioPoint& point, const std::string& file, kv::KvPolicy& policy,
                     sim::Engine& engine, const hardware::GpuProfile& gpu, bool cuda_graphs) {
  results::KvTrace trace;
  try {
    trace = results::read_kv_trace(file);
  } catch (const std::exception& e) {
    throw scenarios::ScenarioError({{where(point, "workload.trace"), "workload.trace", e.what()}});
  }
  const lm::TraceQuality q = lm::replay_trace(trace, policy);
  KindOutput out;
  auto m = [&](std::string n, double v, std::string unit) { out.metrics.push_back({std::move(n), v, std::move(unit)}); };
  m("attention_recall", q.attention_recall, "1");
  m("output_rel_error", q.output_rel_error, "1");
  m("adjacent_layer_overlap", q.adjacent_layer_overlap, "1");
  m("resident_fraction", q.resident_fraction, "1");
  m("attended_fraction", q.attended_fraction, "1");
  m("decode_steps", q.decode_steps, "1");
  const double steps = std::max(1, q.decode_steps);
  m("prefill_score_macs", static_cast<double>(q.prefill_work.score_macs), "1/episode");
  m("decode_score_macs", q.decode_work.score_macs / steps, "1/step");
  m("decode_gathered_rows", q.decode_work.gathered_rows / steps, "1/step");
  charge_decode_steps(engine, gpu, cuda_graphs, q.decode_work, q.decode_steps, q.attended_rows,
                      {trace.n_layers, trace.n_heads, trace.n_kv_heads, trace.head_dim}, out);
  return out;
}

}  // namespace

KindOutput KvQualityKind::run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  auto fail = [&](const std::string& key, const std::string& msg) -> void {
    throw scenarios::ScenarioError({{where(point, key), key, msg}});
  };
  const std::string ckpt = c.model.checkpoint.empty() ? lm::default_small_lm_path() : c.model.checkpoint;
  const std::string& task = c.workload.task;
  const int context = c.workload.context, count = c.workload.episodes, continuation = c.workload.continuation;
  const std::string& filler = c.workload.filler;
  const double depth = c.workload.depth;
  lm::EvalOptions options;
  options.mode = lm::parse_eval_mode(c.workload.evaluation);
  options.temperature = c.sampling.temperature;
  options.top_p = c.sampling.top_p;

  kv::PolicyParams params;
  const std::string& name = c.policy.name;
  for (const auto& [key, node] : *c.policy.table)
    if (key.str() != "name") params[std::string(key.str())] = node.value<double>().value_or(0.0);
  std::unique_ptr<kv::KvPolicy> policy;
  try {
    policy = kv::make_policy(name, params, c.model.positions_per_token);
  } catch (const std::invalid_argument& e) {
    fail("policy", e.what());
  }

  hardware::GpuProfile gpu;
  try {
    gpu = res_->catalog().gpu(c.device.gpu);
  } catch (const std::exception& e) {
    fail("device.gpu", e.what());
  }
  const std::string& trace_file = c.workload.trace;
  if (!trace_file.empty()) return run_trace(point, trace_file, *policy, engine, gpu, c.device.cuda_graphs);

  std::shared_ptr<const lm::LmWeights> weights;
  std::shared_ptr<const std::vector<lm::PreparedEpisode>> episodes;
  std::shared_ptr<const std::string> text;
  std::string cache_key;
  {
    std::lock_guard lock(cache_->mu);
    auto& w = cache_->weights[ckpt];
    if (!w) {
      try {
        w = std::make_shared<const lm::LmWeights>(lm::load_small_lm(ckpt));
      } catch (const std::exception& e) {
        fail("model.checkpoint", e.what());
      }
    }
    weights = w;
    std::shared_ptr<const std::string> corpus;
    if (task == "text" || filler != "classic") {
      const bool fortunes = filler == "corpus";
      auto& c = cache_->corpus[fortunes ? "fortunes" : "documents"];
      if (!c) {
        try {
          c = std::make_shared<const std::string>(fortunes ? lm::load_heldout_corpus() : lm::load_heldout_documents());
        } catch (const std::exception& e) {
          fail(task == "text" ? "workload.task" : "workload.filler", e.what());
        }
      }
      corpus = c;
    }
    std::ostringstream key;
    key << ckpt << '|' << task << '|' << context << '|' << count << '|' << filler << '|' << continuation << '|' << depth
        << '|' << lm::eval_mode_name(options.mode) << '|' << point.seed();
    cache_key = key.str();
    text = corpus;
  }
  // Episodes depend on the workload and seed only, never on the policy: every policy in a sweep
  // sees the same haystacks.
  const auto make = [&] {
    sim::RandomStreams streams(point.seed());
    sim::Rng rng = streams.stream("kv-quality/episodes");
    std::vector<lm::Episode> list;
    const lm::Filler fill = filler == "classic" ? lm::Filler::kClassic : lm::Filler::kCorpus;
    const std::string empty;
    for (int i = 0; i < count; ++i) {
      list.push_back(task == "passkey" ? lm::passkey_episode(rng, context, fill, text ? *text : empty, depth)
                     : task == "kv"    ? lm::kv_lookup_episode(rng, context, fill, text ? *text : empty)
                     : task == "needles" ? lm::needles_episode(rng, context, fill, text ? *text : empty)
                                       : lm::text_episode(rng, context, continuation, *text));
    }
    return list;
  };
  episodes = cache_->episodes.get(cache_key, make, [&](lm::Episode e) { return lm::prepare_episode(*weights, std::move(e), options); });

  const lm::PolicyQuality q = lm::evaluate_policy(*policy, *episodes, options);
  KindOutput out;
  auto m = [&](std::string n, double v, std::string unit) { out.metrics.push_back({std::move(n), v, std::move(unit)}); };
  m("attention_recall", q.attention_recall, "1");
  m("output_rel_error", q.output_rel_error, "1");
  m("next_token_agreement", q.next_token_agreement, "1");
  m(task == "text" ? "continuation_exact" : task + "_accuracy", q.answer_accuracy, "1");
  m("ppl_full", std::exp(q.nll_full), "1");
  m("ppl_policy", std::exp(q.nll_policy), "1");
  m("ppl_increase", q.ppl_increase(), "1");
  m("draft_acceptance", q.draft_acceptance, "1");
  m("adjacent_layer_overlap", q.adjacent_layer_overlap, "1");
  m("resident_fraction", q.resident_fraction, "1");
  m("attended_fraction", q.attended_fraction, "1");
  m("decode_steps", q.decode_steps, "1");
  // Whether the proxy behaves like an LLM (models/lm/proxy_gates.h); the needle gates need a needle.
  if (task != "text") {
    m("needle_kept", q.needle_kept, "1");
    m("question_needle_mass", q.gates.question_needle_mass, "1");
    m("answer_needle_mass", q.gates.answer_needle_mass, "1");
  }
  m("sink_mass", q.gates.sink_mass, "1");
  if (!std::isnan(q.gates.window_answer_overlap)) m("window_answer_overlap", q.gates.window_answer_overlap, "1");
  const double steps = std::max(1, q.decode_steps), eps_n = std::max(1, q.episodes);
  m("prefill_score_macs", q.prefill_work.score_macs / eps_n, "1/episode");
  m("decode_score_macs", q.decode_work.score_macs / steps, "1/step");
  m("decode_comparisons", q.decode_work.comparisons / steps, "1/step");
  m("decode_topk_candidates", q.decode_work.topk_candidates / steps, "1/step");
  m("decode_gathered_rows", q.decode_work.gathered_rows / steps, "1/step");
  const auto& lc = weights->config;
  charge_decode_steps(engine, gpu, c.device.cuda_graphs, q.decode_work, q.decode_steps, q.attended_rows,
                      {lc.n_layers, lc.n_heads, lc.n_kv_heads, lc.head_dim}, out);
  if (const std::string& row = c.row; !row.empty()) {
    const double nan = std::nan("");
    out.table = {{row, "attention_recall", "1", q.attention_recall, nan},
                 {row, task == "text" ? "continuation_exact" : task + "_accuracy", "1", q.answer_accuracy, nan},
                 {row, "next_token_agreement", "1", q.next_token_agreement, nan}};
  }
  return out;
}

std::unique_ptr<Kind> kv_quality_kind(std::shared_ptr<const Resources> res) {
  return std::make_unique<KvQualityKind>(std::move(res));
}

}  // namespace kvsim::runner
