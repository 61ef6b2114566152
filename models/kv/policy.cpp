// models/kv/policy.cpp — PolicyWork arithmetic, the catalog of policies and the factory.
#include "models/kv/policy.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "models/kv/policies.h"

namespace kvsim::models::kv {

PolicyWork& PolicyWork::operator+=(const PolicyWork& o) {
  score_macs += o.score_macs;
  exps += o.exps;
  comparisons += o.comparisons;
  accumulations += o.accumulations;
  topk_calls += o.topk_calls;
  topk_candidates += o.topk_candidates;
  topk_selected += o.topk_selected;
  gathered_rows += o.gathered_rows;
  metadata_updates += o.metadata_updates;
  return *this;
}

std::string to_string(const PolicyWork& w) {
  std::ostringstream s;
  s << "score_macs=" << w.score_macs << " exps=" << w.exps << " comparisons=" << w.comparisons
    << " accumulations=" << w.accumulations << " topk_calls=" << w.topk_calls << " topk_candidates=" << w.topk_candidates
    << " topk_selected=" << w.topk_selected << " gathered_rows=" << w.gathered_rows
    << " metadata_updates=" << w.metadata_updates;
  return s.str();
}

void KvPolicy::begin(const PolicyShape& shape) {
  if (shape.n_kv_heads <= 0 || shape.n_heads % shape.n_kv_heads != 0)
    throw std::invalid_argument("KV policy: query heads must be a multiple of KV heads");
  shape_ = shape;
  prefill_work_ = {};
  decode_work_ = {};
}

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest(const std::string& word, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_d = 4;
  for (const auto& k : known)
    if (const auto d = edit_distance(word, k); d < best_d) best_d = d, best = k;
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

const std::vector<ParamSpec> kBudget = {{"budget", 256, "KV entries attended per (layer, head), sinks and windows included"}};

std::vector<ParamSpec> with_budget(std::vector<ParamSpec> extra) {
  extra.insert(extra.begin(), kBudget.begin(), kBudget.end());
  return extra;
}

// Why a kernel stays odd: SnapKV's pooling is centred (padding kernel / 2 on each side).
double scaled_default(const ParamSpec& spec, double positions_per_token) {
  if (spec.unit == ParamUnit::kPlain) return spec.default_value;
  double v = std::max(1.0, std::round(spec.default_value * positions_per_token));
  if (spec.unit == ParamUnit::kTokensOdd && std::fmod(v, 2.0) == 0.0) v += 1.0;
  return v;
}

}  // namespace

const std::vector<PolicyInfo>& policy_catalog() {
  static const std::vector<PolicyInfo> catalog = {
      {"full", "every cached token, every step (the reference)", "-",
       {{"budget", 0, "not used (accepted so that sweeps over budgets can include the reference)"}}},
      {"streaming", "StreamingLLM: attention sinks + the most recent tokens", "kv-policies brief 2.1 (kvpress StreamingLLMPress)",
       with_budget({{"sinks", 4, "initial tokens always kept", ParamUnit::kTokens}})},
      {"h2o", "H2O: heavy hitters by accumulated attention + recent window, evicting at decode",
       "kv-policies brief 2.2 (H2OKVCache_LayerWise)",
       with_budget({{"recent_fraction", 0.5, "share of the budget for the recent window"}})},
      {"snapkv", "SnapKV: observation-window votes, pooled, top-k per head at prefill",
       "kv-policies brief 2.3 (LongBench configs)",
       with_budget({{"window", 32, "observation window (kept)", ParamUnit::kTokens}, {"kernel", 7, "pooling kernel", ParamUnit::kTokensOdd},
                    {"maxpool", 1, "1: max pooling, 0: average pooling (count_include_pad)"}})},
      {"tova", "TOVA: evict the token the last query attends least (per layer, mean over heads)",
       "kv-policies brief 2.4 (TOVACache)", with_budget({})},
      {"pyramidkv", "PyramidKV: SnapKV scoring with a per-layer pyramid of budgets",
       "kv-policies brief 2.5 (KVCache-Factory PyramidKVCluster)",
       with_budget({{"window", 32, "observation window", ParamUnit::kTokens}, {"kernel", 7, "pooling kernel", ParamUnit::kTokensOdd},
                    {"maxpool", 1, "1: max pooling, 0: average"}, {"beta", 20, "pyramid steepness"}})},
      {"quest", "Quest: per-page min/max key bounds, query-aware page selection each step",
       "kv-policies brief 2.7 (runtime kernels)",
       with_budget({{"page_size", 16, "tokens per page", ParamUnit::kTokens}, {"dense_layers", 2, "first layers attend densely"}})},
      {"infllm", "InfLLM: sinks + local window + top-k memory blocks by representative keys",
       "kv-policies brief 2.8",
       with_budget({{"n_init", 4, "initial tokens (config: 128)", ParamUnit::kTokens}, {"block_size", 16, "tokens per block (config: 128)", ParamUnit::kTokens},
                    {"repr_topk", 4, "representative tokens per block", ParamUnit::kTokens},
                    {"local_fraction", 0.5, "share of the budget for the local window"}})},
      {"triforce", "TriForce retrieval cache: chunk-mean keys scored by the last prompt query, sink chunk kept",
       "kv-policies brief 2.9 (RetrievalCache)", with_budget({{"chunk", 8, "tokens per chunk", ParamUnit::kTokens}})},
      {"mpcache", "MPCache: look-once static eviction + hierarchical cluster selection + cross-layer sharing",
       "mpcache brief 4(a)-(e)",
       with_budget({{"tau", 1e-4, "static eviction threshold on head-mean attention (0: keep all)"},
                    {"static_keep_ratio", 0, "if > 0: keep this share by accumulated attention instead of tau"},
                    {"cost_keep_ratio", 0.3, "cost mode: share static eviction keeps (hotpotqa's 0.30)"},
                    {"obs_fraction", 0.2, "share of the prompt whose queries vote (0.1 beyond 24,000 tokens)"},
                    {"alpha", 0.6, "min/max similarity weight"}, {"cluster1", 32, "level-1 cluster size", ParamUnit::kTokens},
                    {"cluster2", 16, "level-2 cluster size", ParamUnit::kTokens}, {"ratio1", 0.5, "share of level-1 clusters kept"},
                    {"dense_layers", 0, "first layers skip eviction (the top-k variant: 2)"},
                    {"share_layers", 1, "1: adjacent layers share selections"},
                    {"static_eviction", 1, "1: evict after prefill"}, {"approximate_similarity", 1, "1: alpha min/max; 0: exact max q.k per cluster"},
                    {"hierarchical", 1, "1: two levels; 0: level 2 only over all clusters"}})},
  };
  return catalog;
}

PolicyParams resolve_policy_params(const std::string& name, const PolicyParams& params, double positions_per_token) {
  const auto& catalog = policy_catalog();
  const auto it = std::find_if(catalog.begin(), catalog.end(), [&](const PolicyInfo& p) { return p.name == name; });
  if (it == catalog.end()) {
    std::vector<std::string> names;
    for (const auto& p : catalog) names.push_back(p.name);
    throw std::invalid_argument("unknown KV policy '" + name + "'" + closest(name, names));
  }
  if (!(positions_per_token > 0)) throw std::invalid_argument("positions per token must be positive");
  std::vector<std::string> known;
  for (const auto& p : it->params) known.push_back(p.name);
  for (const auto& [key, value] : params)
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw std::invalid_argument("policy '" + name + "' has no parameter '" + key + "'" + closest(key, known));
  PolicyParams p;
  for (const auto& spec : it->params) {
    const auto found = params.find(spec.name);
    p[spec.name] = found != params.end() ? found->second : scaled_default(spec, positions_per_token);
  }
  return p;
}

std::unique_ptr<KvPolicy> make_policy(const std::string& name, const PolicyParams& params, double positions_per_token) {
  ResolvedParams p = resolve_policy_params(name, params, positions_per_token);
  if (name != "full" && p.count("budget") && p["budget"] < 1) throw std::invalid_argument("policy '" + name + "': budget must be at least 1");
  return build_policy(name, p);
}

}  // namespace kvsim::models::kv
