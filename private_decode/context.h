// private_decode/context.h — one party's state during a private decode (its protocol calls, the model's
// shares, the cache length) and the view the step's pieces (loader, layers, selectors) share.
//
// Contract: a Context lives for one party's program; ContextView binds references to its parts
// under the names the pieces use, so a piece sees the run, the architecture, the selection
// options, the protocol calls, the shares and the cache length of its own party only.
#pragma once

#include <vector>

#include "private_decode/ops.h"
#include "protocols/share_layout.h"

namespace kvsim::private_decode {

// Weight matrices are FixedOperands: prepared once at load (semi2k opens each masked weight once,
// so a step's products open only their activations, as a deployment keeps the weights).
struct LayerShares {
  Share norm1, norm2;
  protocols::FixedOperand wq, wk, wv, wo, w_gate, w_up, w_down;
  std::vector<Share> k, v;  // [kv_head] (T x d), the cache (after static eviction)
  // MPCache cluster summaries per level (0: cluster1, 1: cluster2), per kv head: (C x d) each.
  std::vector<std::vector<Share>> hi, lo;
  std::vector<Share> reps;  // InfLLM: per kv head (blocks x d), each block's mean key
  // The prompt's K^T (H, d, T) and V (H, T, d) as operands prepared once, for the methods that
  // attend the whole cache, when the family prepares operands (semi2k opens K - B and V - B
  // once, so a step opens only its queries and probabilities); unprepared otherwise.
  protocols::FixedOperand kt_prompt, v_prompt;
  int prompt_rows = 0;  // T: rows of the cache in the prepared operands (0: none)
  // A selecting method's gather table (tables, groups, width 2d) over the prompt's candidate
  // groups, prepared once the same way (semi2k: a step then opens only its one-hot).
  protocols::FixedOperand gather_table;
  bool gather_prepared = false;
};

struct ModelShares {
  Share final_norm;
  protocols::FixedOperand embed, lm_head;
  std::vector<LayerShares> layers;
};

// Keys / values per query head for the attended rows: (H, n, d) each, n = rows attended.
struct Attended {
  Share k, v;
  int n = 0;
  Share offset;  // when set, (H, n) fixed-point additions to the scaled scores (a secret mask)
  // When set, the first `prompt_rows` of the n rows are the prepared operands (K^T, V) and k, v
  // hold only the n - prompt_rows rows after them.
  const LayerShares* prompt = nullptr;
};

struct Context {
  const PrivateRun& run;
  Ops ops;
  ModelShares m;
  int cached = 0;  // tokens in each layer's cache before the step (after static eviction)
};

class ContextView {
 protected:
  explicit ContextView(Context& c) : run(c.run), a(c.run.arch), s(c.run.selection), ops(c.ops), m(c.m), cached(c.cached) {}
  bool exec() const { return run.model != nullptr; }
  Attended replicate(const std::vector<Share>& K, const std::vector<Share>& V, int n) const;
  Share channel_grid(const Share& K, int n, const std::vector<int>& firsts, int width) const;

  const PrivateRun& run;
  const PrivateArch& a;
  const MpcSelection& s;
  Ops& ops;
  ModelShares& m;
  int& cached;
};

// Rows of the cache as (H, n, d) for GQA: query head h reads kv head h / group.
Attended replicate(const PrivateArch& a, const std::vector<Share>& K, const std::vector<Share>& V, int n);
// Rows [first, first + width) of K (n x d) for each first, laid out (groups d, width) with row
// (group, channel), so a row reduction gives each group's per-channel max or sum. Rows past
// n - 1 repeat row n - 1 (a cluster longer than the cache).
Share channel_grid(const PrivateArch& a, const Share& K, int n, const std::vector<int>& firsts, int width);

}  // namespace kvsim::private_decode
