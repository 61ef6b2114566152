// models/serving/answer_lengths.h — per-answer output lengths and correctness, reconstructed from the
// summary statistics the Datarus brief publishes (samples, pass@1, mean, p90, cap, share at cap).
//
// The brief holds statistics, not the per-sample lists, so a trace is synthesized that has them:
// round(frac_at_cap x N) answers end exactly at the cap (truncated, counted wrong); the others
// follow a log-normal truncated below the cap whose parameters are solved so that the whole
// trace has the published mean and 90th percentile (sigma = 1 when the p90 sits at the cap and
// no longer pins it). round(pass@1 x N) of the uncapped answers, chosen at random, are correct.
// Deterministic for a given random stream. The trace's own statistics are reported beside the
// targets so the reconstruction error is visible.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/random.h"

namespace kvsim::models::serving {

struct AnswerStats {
  std::int64_t samples = 0;
  double pass_at_1 = 0;
  double mean_tokens = 0;
  double p90_tokens = 0;
  double cap = 0;
  double frac_at_cap = 0;
};

struct Answer {
  std::int64_t tokens = 0;
  bool correct = false;
};

std::vector<Answer> synthesize_answers(const AnswerStats& stats, sim::Rng& rng);

// Standard normal CDF and its inverse (Acklam's rational approximation, refined by one Newton step).
double normal_cdf(double x);
double normal_quantile(double p);

}  // namespace kvsim::models::serving
