// models/lm/proxy_gates.h — whether the small model behaves, on one episode, the way the KV-policy
// literature assumes an LLM does: a retrieval head that looks at the needle while the question is
// read, an attention sink, and an observation window whose attention predicts what the answer
// attends to. Policy-independent: measured on the full cache, once per prepared episode.
//
// Contract: rows are query positions. Question rows are [question_begin, answer_begin - 1) (they
// read the question before the first answer byte is predicted); answer rows are
// [answer_begin - 1, answer_end - 1) (each predicts an answer byte). Masses are shares of a row's
// softmax; the needle is the sentence that holds the answer (Episode::needle); a needle gate is
// NaN for an episode without one (held-out text).
#pragma once

#include <vector>

#include "models/lm/small_lm.h"
#include "models/lm/tasks.h"

namespace kvsim::models::lm {

struct ProxyGates {
  // Max over (layer, query head) of the mean mass question rows put on the needle: a retrieval
  // head, where the question-aware methods (SnapKV, TriForce) look for one.
  double question_needle_mass = 0;
  // The same over answer rows: the copying heads that write the answer.
  double answer_needle_mass = 0;
  // Mean over layers, heads and question and answer rows of the mass on position 0: an attention sink.
  double sink_mass = 0;
  // SnapKV's premise: per (layer, query head), the top-`top` older positions by the summed attention
  // of the last `window` prompt rows against the top-`top` by the answer rows' attention; the
  // overlap share, mean over layers and heads.
  double window_answer_overlap = 0;
  int window = 0, top = 0;
};

// `prefill_queries` are the captured post-RoPE queries of rows [0, prefill_end); the rows from
// prefill_end to answer_end - 2 are decoded here on a copy of `prefilled` (the model after that
// prefill). `window` and `top` are in positions.
ProxyGates measure_proxy_gates(const Episode& episode, const SmallLm& prefilled, int prefill_end,
                               const std::vector<std::vector<MatrixRM>>& prefill_queries, int window, int top);

}  // namespace kvsim::models::lm
