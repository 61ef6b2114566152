// app/kinds/private_decode_options.h — the options of one private-decode method (its selection and
// the selection's parameters), bound once: the [[method]] tables of kind "private-decode" and the
// command-line options of `kvsim party --program private-decode` (each key as --key-with-dashes)
// are the same keys with the same defaults, ranges and choices.
#pragma once

#include <string>

#include "private_decode/run.h"
#include "scenarios/binder.h"

namespace kvsim::runner {

struct MethodOptions {
  std::string name;  // the kind's label of the method (not a party option)
  std::string selection = "full";
  double budget_fraction = -1.0;
  int budget = 0;
  std::string static_policy = "streaming";
  bool static_eviction = true;
  double static_keep = 0.3;
  std::string static_mode = "one-hot";
  bool approximate_similarity = true, hierarchical = true, share_layers = true, parallel_topk = true;
  int cluster1 = 32, cluster2 = 16, block = 128, n_init = 128;
  bool per_head = false;
  std::string local_window = "public";
  int local_tokens = 0;
};

// Every key but `name`.
scenarios::Binder<MethodOptions> method_options_binder();

// The selection a method runs at `context` prompt tokens: budget if > 0, else budget_fraction of
// the context if > 0, else `default_fraction` of it. Throws std::invalid_argument for a cluster1
// that is not a multiple of cluster2.
private_decode::MpcSelection selection_of(const MethodOptions& m, int context, double default_fraction);

}  // namespace kvsim::runner
