// models/lm/trace_replay.h — runs a KV policy on a recorded trace (results/kv_trace.h) exactly
// as on the live small model: the prompt's Q/K/V as a dense prefill, then one decode step per
// recorded token, every selection measured against full attention (models/kv/measured.h). Also
// records such a trace from the small model, so the two paths can be checked against each other.
#pragma once

#include <vector>

#include "models/kv/measured.h"
#include "models/lm/small_lm.h"
#include "results/kv_trace.h"

namespace kvsim::models::lm {

struct TraceQuality {
  double attention_recall = 0, output_rel_error = 0, attended_fraction = 0, adjacent_layer_overlap = 1;
  double attended_rows = 0;  // selected positions, mean over steps, layers and query heads
  double resident_fraction = 0;
  int decode_steps = 0;
  models::kv::PolicyWork prefill_work, decode_work;
};

TraceQuality replay_trace(const results::KvTrace& trace, models::kv::KvPolicy& policy);

// The small model's Q/K/V over `tokens`, the first `prompt_length` as prefill.
results::KvTrace record_small_model_trace(const models::lm::LmWeights& weights, const std::vector<int>& tokens,
                                          int prompt_length);

}  // namespace kvsim::models::lm
