// app/kinds/private_decode_options.cpp — see private_decode_options.h.
#include "app/kinds/private_decode_options.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "private_decode/prompt.h"

namespace kvsim::runner {

scenarios::Binder<MethodOptions> method_options_binder() {
  using M = MethodOptions;
  scenarios::Binder<M> method;
  method.bind("selection", &M::selection, "full | static | dynamic-naive | infllm | mpcache").required()
      .choices({"full", "static", "dynamic-naive", "infllm", "mpcache"});
  method.bind("budget_fraction", &M::budget_fraction, "tokens attended (static: kept) as a share of the context (default: workload's)").max(1);
  method.bind("budget", &M::budget, "tokens attended; overrides budget_fraction when > 0").min(0);
  method.bind("static_policy", &M::static_policy, "static: the policy whose kept rows the cache holds (execute mode: its plaintext choice)")
      .choices(private_decode::static_policies());
  method.bind("static_eviction", &M::static_eviction, "mpcache: look-once static eviction");
  method.bind("static_keep", &M::static_keep, "mpcache: share of the prompt static eviction keeps (public)").min(0, true).max(1);
  method.bind("static_mode", &M::static_mode,
              "mpcache: static eviction's compaction: one-hot (nothing revealed), reveal (kept positions public), plaintext (party 0's, the artifact's)")
      .choices({"one-hot", "reveal", "plaintext"});
  method.bind("approximate_similarity", &M::approximate_similarity, "mpcache: alpha min/max similarity (else the exact bound)");
  method.bind("hierarchical", &M::hierarchical, "mpcache: two cluster levels (else level 2 only)");
  method.bind("share_layers", &M::share_layers, "mpcache: adjacent layers share selections");
  method.bind("parallel_topk", &M::parallel_topk, "one top-k for all heads (else one per head)");
  method.bind("cluster1", &M::cluster1, "mpcache level-1 cluster size").min(1);
  method.bind("cluster2", &M::cluster2, "mpcache level-2 cluster size (1: the token-level port)").min(1);
  method.bind("block", &M::block, "infllm block size").min(1);
  method.bind("n_init", &M::n_init, "infllm initial tokens").min(0);
  method.bind("per_head", &M::per_head, "infllm: one block choice per head (else one per layer, shared by its heads: InfLLM's)");
  method.bind("local_window", &M::local_window, "infllm: the local window attended as public rows, or gathered with the blocks")
      .choices({"public", "gathered"});
  method.bind("local_tokens", &M::local_tokens, "infllm: the local window in tokens (0: half the budget)").min(0);
  return method;
}

private_decode::MpcSelection selection_of(const MethodOptions& m, int context, double default_fraction) {
  private_decode::MpcSelection sel;
  sel.method = m.selection;
  const double fraction = m.budget_fraction > 0 ? m.budget_fraction : default_fraction;
  sel.budget = m.budget > 0 ? m.budget : std::max(1, static_cast<int>(std::lround(fraction * context)));
  sel.static_policy = m.static_policy;
  sel.static_eviction = m.static_eviction;
  sel.static_keep = m.static_keep;
  sel.static_mode = m.static_mode;
  sel.approximate = m.approximate_similarity;
  sel.hierarchical = m.hierarchical;
  sel.share_layers = m.share_layers;
  sel.parallel_topk = m.parallel_topk;
  sel.cluster1 = m.cluster1;
  sel.cluster2 = m.cluster2;
  sel.block = m.block;
  sel.n_init = m.n_init;
  sel.infllm_per_head = m.per_head;
  sel.infllm_local = m.local_window;
  sel.infllm_local_tokens = m.local_tokens;
  if (sel.cluster1 % sel.cluster2 != 0) throw std::invalid_argument("cluster1 must be a multiple of cluster2");
  return sel;
}

}  // namespace kvsim::runner
