// app/kinds/kv_quality.cpp — kind "kv-quality": runs a KV policy on kvsim's small trained
// model over seeded episodes (passkey, key-value lookup, held-out text) and reports what it loses
// against the full cache and what work it does (models/lm/policy_eval.h defines every metric).
//
// Scenario: [policy] name + that policy's parameters (kvsim list policies); [workload] task,
// context, episodes, filler, question_in_prefill; [sampling] temperature/top_p for the draft
// acceptance; [model] checkpoint (default: the committed one). Sweeps over policy x budget x
// context are ordinary scenario sweeps. Prefilled episodes are cached per (task, context, seed,
// ...) inside one registry, so a sweep prefills each episode once.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "models/lm/trace_replay.h"
#include "app/runner/resources.h"
#include "models/kv/policy.h"
#include "models/lm/policy_eval.h"
#include "sim/random.h"

namespace kvsim::runner {
namespace {

class KvQualityKind final : public Kind {
 public:
  KvQualityKind();
  std::string_view name() const override { return "kv-quality"; }
  std::string_view description() const override {
    return "a KV eviction/selection policy on the small trained model: recall, error, accuracy, acceptance, work";
  }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  struct Cache {
    std::mutex mu;
    std::map<std::string, std::shared_ptr<const models::lm::LmWeights>> weights;
    std::map<std::string, std::shared_ptr<const std::vector<models::lm::PreparedEpisode>>> episodes;
    std::map<std::string, std::shared_ptr<const std::string>> corpus;
  };
  scenarios::TableSchema schema_;
  std::shared_ptr<Cache> cache_ = std::make_shared<Cache>();
};

}  // namespace

using scenarios::TableSchema;
namespace lm = models::lm;
namespace kv = models::kv;

KvQualityKind::KvQualityKind() {
  TableSchema policy;
  std::vector<std::string> names;
  std::set<std::string> params;
  for (const auto& p : kv::policy_catalog()) {
    names.push_back(p.name);
    for (const auto& s : p.params) params.insert(s.name);
  }
  policy.string("name", "the policy (kvsim list policies)").required().choices(names);
  for (const auto& p : params) policy.number(p, "a policy parameter (kvsim list policies gives meaning and default)");
  // The named policy's own parameters: another policy's is refused, a missing one gets its default,
  // so the resolved scenario (and its hash) states every value the policy used.
  policy.rule([](toml::table& t, const std::string& key, std::string_view fallback, std::vector<scenarios::Diagnostic>& out) {
    const auto name = t["name"].value<std::string>();
    const auto& catalog = kv::policy_catalog();
    const auto info = std::find_if(catalog.begin(), catalog.end(), [&](const kv::PolicyInfo& p) { return name && p.name == *name; });
    if (info == catalog.end()) return;  // a missing or unknown name is reported by its field
    std::string own;
    for (const auto& spec : info->params) own += (own.empty() ? "" : ", ") + spec.name;
    for (auto&& [k, v] : t) {
      if (k.str() == "name") continue;
      const bool mine = std::any_of(info->params.begin(), info->params.end(), [&](const kv::ParamSpec& p) { return p.name == k.str(); });
      if (!mine)
        out.push_back({scenarios::location_of(k.source(), fallback), key + "." + std::string(k.str()),
                       "policy '" + *name + "' has no such parameter (its parameters: " + (own.empty() ? "none" : own) + ")"});
    }
    for (const auto& spec : info->params)
      if (!t.contains(spec.name)) t.insert(spec.name, spec.default_value);
  });
  TableSchema workload;
  workload.string("task", "episodes: passkey retrieval, key-value lookup, or held-out text").defaults("passkey")
      .choices({"passkey", "kv", "text"});
  workload.integer("context", "episode length in tokens (bytes)").defaults(1024).min(64).max(16384);
  workload.integer("episodes", "episodes averaged").defaults(10).min(1).max(1000);
  workload.string("filler", "haystack text: the classic repeated filler or held-out fortunes").defaults("classic")
      .choices({"classic", "corpus"});
  workload.boolean("question_in_prefill", "the question is part of the prefill (query-aware)").defaults(false);
  workload.integer("continuation", "text task: bytes predicted after the context").defaults(64).min(1).max(4096);
  workload.number("depth", "needle depth in [0, 1]; negative: uniform at random").defaults(-1.0).max(1.0);
  workload.string("trace", "an HDF5 KV trace (results/SCHEMA.md) to replay instead of running the small model")
      .defaults("");
  TableSchema sampling;
  sampling.number("temperature", "temperature of the draft-acceptance measurement").defaults(0.6).min(0);
  sampling.number("top_p", "nucleus of the draft-acceptance measurement").defaults(0.9).min(0, true).max(1);
  TableSchema model;
  model.string("checkpoint", "small-model checkpoint; empty: the committed models/small/kvsim-byte-lm.bin").defaults("");
  schema_.table("policy", "the KV policy under test", std::move(policy)).required();
  schema_.table("workload", "what the policy is measured on", std::move(workload));
  schema_.table("sampling", "draft acceptance settings", std::move(sampling));
  schema_.table("model", "the model", std::move(model));
  schema_.string("row", "the reproduced table's row this point fills (e.g. \"mpcache/budget=128\")").defaults("");
}

namespace {

// Attention-level metrics only: a trace has no model to continue the sequence with.
KindOutput run_trace(const scenarios::ScenarioPoint& point, const std::string& file, kv::KvPolicy& policy) {
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
  return out;
}

}  // namespace

KindOutput KvQualityKind::run(const scenarios::ScenarioPoint& point, sim::Engine& /*engine*/) const {
  const toml::table& t = point.tree;
  auto fail = [&](const std::string& key, const std::string& msg) -> void {
    throw scenarios::ScenarioError({{where(point, key), key, msg}});
  };
  std::string ckpt = scenarios::get_string(t, "model.checkpoint");
  if (ckpt.empty()) ckpt = lm::default_small_lm_path();
  const std::string task = scenarios::get_string(t, "workload.task");
  const int context = static_cast<int>(scenarios::get_integer(t, "workload.context"));
  const int count = static_cast<int>(scenarios::get_integer(t, "workload.episodes"));
  const std::string filler = scenarios::get_string(t, "workload.filler");
  const int continuation = static_cast<int>(scenarios::get_integer(t, "workload.continuation"));
  const double depth = scenarios::get_number(t, "workload.depth");
  lm::EvalOptions options;
  options.question_in_prefill = scenarios::get_bool(t, "workload.question_in_prefill");
  options.temperature = scenarios::get_number(t, "sampling.temperature");
  options.top_p = scenarios::get_number(t, "sampling.top_p");

  kv::PolicyParams params;
  const std::string name = scenarios::get_string(t, "policy.name");
  for (const auto& [key, node] : scenarios::get_table(t, "policy"))
    if (key.str() != "name") params[std::string(key.str())] = node.value<double>().value_or(0.0);
  std::unique_ptr<kv::KvPolicy> policy;
  try {
    policy = kv::make_policy(name, params);
  } catch (const std::invalid_argument& e) {
    fail("policy", e.what());
  }

  const std::string trace_file = scenarios::get_string(t, "workload.trace");
  if (!trace_file.empty()) return run_trace(point, trace_file, *policy);

  std::shared_ptr<const lm::LmWeights> weights;
  std::shared_ptr<const std::vector<lm::PreparedEpisode>> episodes;
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
    if (task == "text" || filler == "corpus") {
      auto& c = cache_->corpus["fortunes"];
      if (!c) {
        try {
          c = std::make_shared<const std::string>(lm::load_heldout_corpus());
        } catch (const std::exception& e) {
          fail(task == "text" ? "workload.task" : "workload.filler", e.what());
        }
      }
      corpus = c;
    }
    std::ostringstream key;
    key << ckpt << '|' << task << '|' << context << '|' << count << '|' << filler << '|' << continuation << '|' << depth
        << '|' << options.question_in_prefill << '|' << point.seed();
    auto& eps = cache_->episodes[key.str()];
    if (!eps) {
      // Episodes depend on the workload and seed only, never on the policy: every policy in a sweep
      // sees the same haystacks.
      sim::RandomStreams streams(point.seed());
      sim::Rng rng = streams.stream("kv-quality/episodes");
      auto list = std::make_shared<std::vector<lm::PreparedEpisode>>();
      const lm::Filler fill = filler == "corpus" ? lm::Filler::kCorpus : lm::Filler::kClassic;
      const std::string empty;
      for (int i = 0; i < count; ++i) {
        lm::Episode e = task == "passkey" ? lm::passkey_episode(rng, context, fill, corpus ? *corpus : empty, depth)
                        : task == "kv"    ? lm::kv_lookup_episode(rng, context, fill, corpus ? *corpus : empty)
                                          : lm::text_episode(rng, context, continuation, *corpus);
        list->push_back(lm::prepare_episode(*weights, std::move(e), options));
      }
      eps = std::move(list);
    }
    episodes = eps;
  }

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
  const double steps = std::max(1, q.decode_steps), eps_n = std::max(1, q.episodes);
  m("prefill_score_macs", q.prefill_work.score_macs / eps_n, "1/episode");
  m("decode_score_macs", q.decode_work.score_macs / steps, "1/step");
  m("decode_comparisons", q.decode_work.comparisons / steps, "1/step");
  m("decode_topk_candidates", q.decode_work.topk_candidates / steps, "1/step");
  m("decode_gathered_rows", q.decode_work.gathered_rows / steps, "1/step");
  if (const std::string row = scenarios::get_string(t, "row"); !row.empty()) {
    const double nan = std::nan("");
    out.table = {{row, "attention_recall", "1", q.attention_recall, nan},
                 {row, task == "text" ? "continuation_exact" : task + "_accuracy", "1", q.answer_accuracy, nan},
                 {row, "next_token_agreement", "1", q.next_token_agreement, nan}};
  }
  return out;
}

std::unique_ptr<Kind> kv_quality_kind() { return std::make_unique<KvQualityKind>(); }

}  // namespace kvsim::runner
