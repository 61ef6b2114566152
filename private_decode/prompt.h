// private_decode/prompt.h — party 0's plaintext side of a private decode on the small model: the
// prompt's prefill, the rows a static policy keeps, MPCache's static-eviction scores.
//
// Contract: everything here runs in plaintext at the model owner (party 0), as MPCache's artifact
// computes the prompt; what it returns enters the private step only as party 0's secret inputs
// (scores) or as local row picks of party 0's inputs (kept rows).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/lm/small_lm.h"
#include "private_decode/run.h"

namespace kvsim::private_decode {

// The policies method "static" accepts (one budget for every layer, a choice made at prefill).
const std::vector<std::string>& static_policies();

// The prompt rows a static policy (one of static_policies(): one budget for every layer) keeps: its selection
// for the first decode step (`token` after `prompt`) on the plaintext model, without the new
// token, per layer and kv head (the first query head of each group).
std::vector<std::vector<std::vector<std::int32_t>>> static_kept_rows(const models::lm::LmWeights& w, const std::vector<int>& prompt,
                                                                     int token, const std::string& policy, int budget);

// MPCache's static-eviction score of each of the first `n` prompt tokens per layer: the head-mean
// attention of the last `obs_fraction` of the prompt's queries, summed over those queries
// (models/kv/attention.h observation_attention; the plaintext policy ranks by the same sums).
std::vector<std::vector<double>> static_eviction_scores(const models::lm::PrefillCapture& capture, const models::lm::SmallLm& lm,
                                                        int n, double obs_fraction = 0.2);

// The small model's prompt for a private decode: a passkey episode drawn from `seed` whose first
// `context` bytes are prefilled into `lm` (which must be empty). Returns the step's token (the
// episode's next byte), the prompt and the static-eviction scores.
struct SmallPrompt {
  std::vector<int> tokens;  // the prompt (context bytes)
  int token = 0;
  std::vector<std::vector<double>> static_scores;
};
SmallPrompt prefill_small_prompt(models::lm::SmallLm& lm, std::uint64_t seed, int context);

// Execute mode on a prefilled prompt: points `run` at the model, the step's token and party 0's
// prompt-derived inputs (static-eviction scores; for method "static", the static policy's kept
// rows, computed into `kept` for run.selection). `lm`, `prompt` and `kept` must outlive the run.
void attach_small_prompt(PrivateRun& run, const models::lm::SmallLm& lm, const SmallPrompt& prompt,
                         std::vector<std::vector<std::vector<std::int32_t>>>& kept);

}  // namespace kvsim::private_decode
