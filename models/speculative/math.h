// models/speculative/math.h — the mathematics of speculative decoding (Leviathan et al. 2023; Chen et
// al. 2023), written once and tested: sampling, verification with residual correction, and the
// acceptance-rate conversions the TriForce reproduction needs.
//
// Contract:
// - distributions are vectors of probabilities over a vocabulary; temperature 0 is greedy (all
//   mass on the first arg-max), top-p keeps the smallest prefix of tokens by probability whose
//   mass reaches p (ties broken by token id), renormalized.
// - verify(): a draft token x ~ q is accepted with probability min(1, p[x] / q[x]); on rejection
//   the replacement is drawn from the residual norm(max(0, p - q)). The output is then exactly
//   distributed as p (losslessness; tests/models/speculative_test.cpp checks it statistically).
// - Acceptance: with a per-token acceptance probability alpha and gamma drafted tokens, a round
//   accepts A tokens with P(A >= i) = alpha^i (i <= gamma). TriForce's code reports the per-round
//   rate E[A] / gamma ("accepted / drafted"), not alpha; per_round_rate() and
//   alpha_from_per_round() convert between the two in this one place.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/random.h"

namespace kvsim::models::spec {

// Probabilities from logits at temperature T (T = 0: greedy one-hot) with nucleus top_p.
std::vector<double> distribution(const std::vector<double>& logits, double temperature, double top_p = 1.0);
// Draws a token index from a distribution with a seeded stream.
int sample(const std::vector<double>& dist, sim::Rng& rng);
// norm(max(0, p - q)); throws std::invalid_argument when p == q everywhere (never rejected then).
std::vector<double> residual(const std::vector<double>& p, const std::vector<double>& q);

struct Verdict {
  bool accepted = false;
  int token = -1;  // the draft token if accepted, else the residual sample
};
Verdict verify(const std::vector<double>& p, const std::vector<double>& q, int draft_token, sim::Rng& rng);

// E[A] = sum_{i=1..gamma} alpha^i.
double expected_accepted(double alpha, int gamma);
// TriForce's per-round acceptance rate: E[A] / gamma.
double per_round_rate(double alpha, int gamma);
// The alpha whose per-round rate is `rate` (bisection; rate in [0, 1)).
double alpha_from_per_round(double rate, int gamma);
// Tokens produced per round including the bonus or corrected token: (1 - alpha^(gamma+1)) / (1 - alpha).
double expected_tokens(double alpha, int gamma);
// One round: how many of gamma drafts are accepted, each with probability alpha until the first rejection.
int simulate_round(double alpha, int gamma, sim::Rng& rng);

}  // namespace kvsim::models::spec
