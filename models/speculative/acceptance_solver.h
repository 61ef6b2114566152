// models/speculative/acceptance_solver.h — per-token acceptance probabilities from the rates
// TriForce reports, under the loop that produced them.
//
// Contract:
// - TriForce's code reports Sum(accepted) / Sum(gamma2) over the rounds of a run: with many
//   rounds, E[A] / E[gamma2], where a verification of g drafts accepts A with P(A >= i) = alpha^i.
// - The middle stage (models/speculative/triforce_loop.h) collects gamma2 >= gamma tokens: each
//   iteration drafts gamma1 tokens, the retrieval level accepts A1 of them (per-token beta, up to
//   the first rejection) and adds its own next token, so n += A1 + 1 while n < gamma. gamma2 thus
//   lies in [gamma, gamma + gamma1]; the released code's loop is gamma1 = 1 (n += 2 on accept,
//   n += 1 on reject), the paper's Algorithm 1 uses gamma1 = 2. The middle stage is the Markov
//   chain below, exactly as the loop draws it; the full verification then sees its gamma2.
// - Solving inverts the expected rate by bisection on alpha in [0, 1); rates outside what the
//   loop can produce are errors naming the rate and the range.
#pragma once

#include <vector>

namespace kvsim::models::spec {

struct MiddleStage {
  int gamma = 0;
  std::vector<double> p;    // p[j] = P(gamma2 = gamma + j), j = 0 .. gamma1
  double iterations = 0;    // E[middle iterations]
  double mean_gamma2() const;
};
MiddleStage middle_stage(double beta, int gamma1, int gamma);

// E[A] / E[gamma2] of the full verification after that middle stage.
double round_rate(double alpha, double beta, int gamma1, int gamma);
// The alpha whose rate (after a middle stage at per-token beta) is `rate`.
double alpha_for_rate(double rate, double beta, int gamma1, int gamma);

}  // namespace kvsim::models::spec
