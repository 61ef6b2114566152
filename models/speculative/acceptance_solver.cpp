// models/speculative/acceptance_solver.cpp — the middle stage's gamma2 distribution and the
// inversion of the full verification's acceptance rate.
#include "models/speculative/acceptance_solver.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "models/speculative/math.h"

namespace kvsim::models::spec {

double MiddleStage::mean_gamma2() const {
  double m = 0;
  for (std::size_t j = 0; j < p.size(); ++j) m += p[j] * static_cast<double>(gamma + static_cast<int>(j));
  return m;
}

MiddleStage middle_stage(double beta, int gamma1, int gamma) {
  if (gamma < 1 || gamma1 < 1) throw std::invalid_argument("middle stage: gamma and gamma1 must be at least 1");
  if (beta < 0 || beta > 1) throw std::invalid_argument("middle stage: beta must lie in [0, 1]");
  // A round of gamma1 drafts accepts i < gamma1 with beta^i (1 - beta), all gamma1 with beta^gamma1.
  std::vector<double> step(static_cast<std::size_t>(gamma1) + 1);
  for (int i = 0; i <= gamma1; ++i) step[static_cast<std::size_t>(i)] = std::pow(beta, i) * (i < gamma1 ? 1 - beta : 1.0);
  // reach[n]: probability that the chain visits n; it moves by A1 + 1 and stops at n >= gamma.
  std::vector<double> reach(static_cast<std::size_t>(gamma + gamma1) + 1, 0.0);
  reach[0] = 1;
  MiddleStage s;
  s.gamma = gamma;
  for (int n = 0; n < gamma; ++n) {
    const double here = reach[static_cast<std::size_t>(n)];
    s.iterations += here;
    for (int i = 0; i <= gamma1; ++i) reach[static_cast<std::size_t>(n + i + 1)] += here * step[static_cast<std::size_t>(i)];
  }
  s.p.assign(reach.begin() + gamma, reach.end());
  return s;
}

double round_rate(double alpha, double beta, int gamma1, int gamma) {
  const MiddleStage s = middle_stage(beta, gamma1, gamma);
  double accepted = 0;
  for (std::size_t j = 0; j < s.p.size(); ++j) accepted += s.p[j] * expected_accepted(alpha, gamma + static_cast<int>(j));
  return accepted / s.mean_gamma2();
}

double alpha_for_rate(double rate, double beta, int gamma1, int gamma) {
  constexpr double kTop = 0.999999;
  const double top = round_rate(kTop, beta, gamma1, gamma);
  if (!(rate >= 0) || rate >= top)
    throw std::invalid_argument("acceptance rate " + std::to_string(rate) + " is outside what the loop can produce, [0, " +
                                std::to_string(top) + "), at gamma " + std::to_string(gamma));
  double lo = 0, hi = kTop;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (round_rate(mid, beta, gamma1, gamma) < rate ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace kvsim::models::spec
