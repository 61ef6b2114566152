// private_decode/selector.h — a KV selection method under MPC: the one-time work after the
// prefill and, per layer of the step, the rows each query head attends.
//
// Contract:
// - make_selector() builds the method named by run.selection.method (full, static,
//   dynamic-naive, infllm, mpcache) for one party's context; every party builds the same one.
// - after_prefill() runs once before the step (static eviction, cluster summaries, block
//   representatives); select() runs once per layer with the new token's key and value already
//   appended (n = cached + 1 rows) and returns the attended rows per query head.
// - `shared` carries a layer's one-hot to the next layer (MPCache's adjacent layers share a
//   selection); a selector that never shares ignores it.
// - A GroupSelector chooses k of `groups` candidate groups (tokens, blocks or clusters) of
//   `width` rows by secret scores, one-hot encodes the choice and gathers K and V of the chosen
//   groups; the public rows (the newest token, sinks, local windows) are attended without a
//   gather. Its subclasses say only what the candidates are and how they are scored.
#pragma once

#include <memory>
#include <vector>

#include "private_decode/context.h"

namespace kvsim::private_decode {

class Selector : protected ContextView {
 public:
  explicit Selector(Context& c) : ContextView(c) {}
  virtual ~Selector() = default;
  virtual Task<void> after_prefill() = 0;
  virtual Task<Attended> select(int l, const Share& q, std::vector<Share>& K, std::vector<Share>& V, int n,
                                std::vector<Share>& shared) = 0;

 protected:
  // Methods that attend the whole cache prepare the prompt's K^T and V once per layer (after
  // their one-time work), when the family prepares operands; whole_cache() then hands the
  // attention the prepared prompt and only the rows after it, otherwise all n rows.
  Task<void> prepare_prompt_cache();
  Attended whole_cache(int l, const std::vector<Share>& K, const std::vector<Share>& V, int n) const;
};

std::unique_ptr<Selector> make_selector(Context& c);

// The candidates of one layer's selection.
struct Candidates {
  int width = 1, groups = 0, k = 0;  // k of `groups` groups of `width` rows
  std::vector<int> public_rows;      // token positions attended without a gather
  int score_rows = 0;                // H (a selection per query head) or 1 (one for the layer)
  int first = 0;                     // the first row of group 0
  bool token_level = false;          // groups are single tokens
};

class GroupSelector : public Selector {
 public:
  using Selector::Selector;
  Task<Attended> select(int l, const Share& q, std::vector<Share>& K, std::vector<Share>& V, int n,
                        std::vector<Share>& shared) final;

 protected:
  // Layer l selects on its own (else it reuses the previous layer's one-hot).
  virtual bool selects_own(int /*l*/) const { return true; }
  virtual Candidates candidates(int n) const = 0;
  // Secret scores of the candidate groups: (score_rows, groups).
  virtual Task<Share> scores(int l, const Share& q, std::vector<Share>& K, std::vector<Share>& V, int n,
                             const Candidates& c) = 0;
  // After the gather: a selector may add a secret offset to the attended rows' scores.
  virtual void adjust(const Share& /*onehot*/, const Candidates& /*c*/, int /*n*/, Attended& /*out*/) {}
  // At the end of after_prefill(): each layer's gather table over the step's candidate groups
  // (all prompt rows) as an operand prepared once, when the family prepares operands.
  Task<void> prepare_gather_tables();

 private:
  // K and V of the candidate groups, (tables, groups, width 2d); K, V hold `rows` rows each.
  Share gather_table(const std::vector<Share>& K, const std::vector<Share>& V, int rows, const Candidates& cand) const;
};

// Token-level candidates (every token but the newest, which is public) and their scores q . k:
// the dynamic-naive method and MPCache's token-level port.
Candidates token_candidates(const MpcSelection& s, const PrivateArch& a, int n);
Task<Share> token_scores(Ops& ops, const PrivateArch& a, const Share& q, const std::vector<Share>& K,
                         const std::vector<Share>& V, int n, int groups);

// The methods (one file each).
std::unique_ptr<Selector> make_full_selector(Context& c);
std::unique_ptr<Selector> make_static_selector(Context& c);
std::unique_ptr<Selector> make_token_selector(Context& c);
std::unique_ptr<Selector> make_infllm_selector(Context& c);
std::unique_ptr<Selector> make_mpcache_selector(Context& c);

}  // namespace kvsim::private_decode
