// models/kv/policy.h — the one interface every KV-cache eviction / selection policy implements.
//
// Contract (conventions from ../shared/briefs/kv-policies.md, §1):
// - A policy is driven per sequence: begin() with the shape, then per layer prefill() once after
//   the layer's full prefill attention (kvpress' convention: prefill itself is dense), then per
//   decode step and layer select() followed by observe().
// - Keys are post-RoPE and keep their original positions (no re-rotation; kvpress without
//   KeyRerotationPress). The runtime stores every key; a policy decides what each step sees.
// - select() fills, for every query head, the cache positions that head attends to, in ascending
//   order. The newest token (position length-1) is always attended: every published method keeps it.
// - Eviction is permanent: a position an eviction policy dropped is never selected again, and
//   resident() reports the KV entries a real cache would hold (what memory the method needs).
// - Work: every policy counts what it does (PolicyWork) while doing it; declared_decode_work()
//   states the same counts from shapes alone, so the work can be costed at 7B / 128K scale on a
//   GPU or under MPC. Tests check measured == declared on real runs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Dense>

namespace kvsim::models::kv {

using MatrixRM = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct PolicyShape {
  int n_layers = 0;
  int n_heads = 0;     // query heads
  int n_kv_heads = 0;
  int head_dim = 0;
  int prompt_length = 0;
  int group() const { return n_heads / n_kv_heads; }
};

// What policies derive from one layer's prefill alone (nothing of a budget in it), kept for the
// next policy on the same prefill: a sweep over budgets computes, e.g., MPCache's static keep set
// once per episode and layer. Thread-safe; a key names every input besides the prefill itself.
// Two threads asking at once may both compute; the results are equal (deterministic) and the
// first stored is kept.
class PrefillMemo {
 public:
  template <class T, class Compute>
  std::shared_ptr<const T> get(const std::string& key, Compute&& compute) {
    {
      std::lock_guard lock(mu_);
      if (auto it = entries_.find(key); it != entries_.end()) return std::static_pointer_cast<const T>(it->second);
    }
    auto value = std::make_shared<const T>(compute());
    std::lock_guard lock(mu_);
    return std::static_pointer_cast<const T>(entries_.emplace(key, std::move(value)).first->second);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const void>> entries_;
};

// What a layer's dense prefill already computed about its own softmax, offered so that a policy
// need not recompute the causal attention (quadratic in the prompt). Optional: a caller without it
// (a trace replay, the synthetic run) passes null and the policy computes from queries and keys.
// Why a policy may trust it: the prefill computes these from the very probabilities it attends
// with (kv::causal_attention_rows over the same queries and keys), see attention.h.
struct PrefillAttention {
  // [kv_head] (length): key j's probability summed over every causal row, the rows of the group's
  // query heads in head order, rows ascending within a head (accumulate_prefill_attention's order,
  // so the sums are the ones it would compute).
  std::vector<std::vector<float>> column_sums;
  std::vector<Eigen::VectorXf> row_peak;  // [q_head] (length): row i's largest scaled score
  std::vector<Eigen::VectorXf> row_sum;   // [q_head] (length): sum over keys 0..i of exp(score - peak)
  std::shared_ptr<PrefillMemo> memo = std::make_shared<PrefillMemo>();
};

// One layer after its dense prefill attention. Rows [0, length) of keys/values are valid.
struct LayerPrefill {
  int layer = 0;
  int length = 0;
  const std::vector<MatrixRM>* queries = nullptr;  // [q_head] (length x head_dim), post-RoPE
  const std::vector<MatrixRM>* keys = nullptr;     // [kv_head] (>= length x head_dim), post-RoPE
  const std::vector<MatrixRM>* values = nullptr;   // [kv_head]
  const PrefillAttention* attention = nullptr;     // optional, see PrefillAttention
};

// One layer at one decode step: the new token has already been appended at position length-1.
struct LayerDecode {
  int layer = 0;
  int length = 0;
  const std::vector<Eigen::VectorXf>* queries = nullptr;  // [q_head] (head_dim)
  const std::vector<MatrixRM>* keys = nullptr;
  const std::vector<MatrixRM>* values = nullptr;
};

using Selection = std::vector<std::vector<std::int32_t>>;  // [q_head] ascending positions

// Work a policy did (execute mode) or declares (cost mode). Units are operation counts; a score
// MAC is one multiply-accumulate of a head_dim-long dot product element.
struct PolicyWork {
  std::int64_t score_macs = 0;      // q.k or q.bound multiply-accumulates for ranking
  std::int64_t exps = 0;            // exponentials for softmax-based scores
  std::int64_t comparisons = 0;     // element comparisons for max/min/threshold tests
  std::int64_t accumulations = 0;   // additions into running scores (accumulated / averaged attention)
  std::int64_t topk_calls = 0;      // independent top-k selections
  std::int64_t topk_candidates = 0; // sum of n over those selections
  std::int64_t topk_selected = 0;   // sum of k
  std::int64_t gathered_rows = 0;   // K and V rows gathered into a compact buffer (each counts once)
  std::int64_t metadata_updates = 0;// floats of summaries written (page bounds, chunk means, ...)
  PolicyWork& operator+=(const PolicyWork& o);
  bool operator==(const PolicyWork&) const = default;
};
std::string to_string(const PolicyWork& w);

// Parameters by name, as a scenario's [policy] table gives them.
using PolicyParams = std::map<std::string, double>;

// Whether a parameter is a length counted in tokens (a window, a kernel, a page, a chunk, a block,
// a sink count). Such defaults come from papers about token models; a model whose positions are
// not tokens (kvsim's byte model) scales them by its positions per token (resolve_policy_params).
enum class ParamUnit { kPlain, kTokens, kTokensOdd /* a pooling kernel: scaled, then made odd */ };

struct ParamSpec {
  std::string name;
  double default_value;
  std::string meaning;
  ParamUnit unit = ParamUnit::kPlain;
};

class KvPolicy {
 public:
  virtual ~KvPolicy() = default;
  virtual std::string_view name() const = 0;
  virtual void begin(const PolicyShape& shape);
  virtual void prefill(const LayerPrefill& layer) = 0;
  virtual void select(const LayerDecode& layer, Selection& out) = 0;
  // Probabilities the step's attention gave each selected position, [q_head][i] aligned with out.
  virtual void observe(const LayerDecode& /*layer*/, const Selection& /*sel*/,
                       const std::vector<std::vector<float>>& /*probs*/) {}
  // KV entries a real cache of this policy holds for (layer, kv_head) now.
  virtual std::int64_t resident(int layer, int kv_head) const = 0;
  // The work one decode step at cache length `length` does, from shapes alone (after prefill of
  // shape.prompt_length tokens and `length - prompt_length` decode steps).
  virtual PolicyWork declared_decode_work(const PolicyShape& shape, int length) const = 0;
  // The one-time work after prefill, from shapes alone.
  virtual PolicyWork declared_prefill_work(const PolicyShape& shape) const = 0;

  const PolicyWork& prefill_work() const { return prefill_work_; }
  const PolicyWork& decode_work() const { return decode_work_; }
  const PolicyShape& shape() const { return shape_; }

 protected:
  PolicyShape shape_;
  PolicyWork prefill_work_;
  PolicyWork decode_work_;
};

struct PolicyInfo {
  std::string name;
  std::string summary;
  std::string source;  // where the definition comes from (brief section / repository)
  std::vector<ParamSpec> params;
};

// Every policy kvsim implements, with its parameters and defaults (`kvsim list policies`).
const std::vector<PolicyInfo>& policy_catalog();
// Every parameter of `name` with defaults filled in. A length-in-tokens parameter that `params`
// does not set gets round(default * positions_per_token) (at least 1; odd for kernels); a set one
// is taken as given, in the model's positions. `budget` is never scaled: it is the experiment's
// variable and always in positions. Unknown names or parameters throw std::invalid_argument
// naming them (with the closest known name).
PolicyParams resolve_policy_params(const std::string& name, const PolicyParams& params, double positions_per_token = 1.0);
// Builds a policy from resolve_policy_params(name, params, positions_per_token). `budget` is in
// positions per (layer, head) and counts sinks and windows.
std::unique_ptr<KvPolicy> make_policy(const std::string& name, const PolicyParams& params, double positions_per_token = 1.0);

}  // namespace kvsim::models::kv
