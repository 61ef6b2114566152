// tests/models/speculative_test.cpp — verification is lossless, the conversions invert each
// other, and rounds simulated on the engine agree with the closed forms.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "models/speculative/math.h"
#include "sim/engine.h"

namespace kvsim::models::spec {
namespace {

TEST(Speculative, DistributionsTemperatureAndTopP) {
  const std::vector<double> logits = {2.0, 1.0, 0.5, -1.0};
  const auto greedy = distribution(logits, 0);
  EXPECT_EQ(greedy, (std::vector<double>{1, 0, 0, 0}));
  const auto p = distribution(logits, 1.0);
  EXPECT_NEAR(std::accumulate(p.begin(), p.end(), 0.0), 1.0, 1e-12);
  const auto nucleus = distribution(logits, 1.0, 0.7);
  EXPECT_GT(nucleus[0], 0);
  EXPECT_EQ(nucleus[3], 0);  // outside the nucleus
  EXPECT_NEAR(std::accumulate(nucleus.begin(), nucleus.end(), 0.0), 1.0, 1e-12);
}

TEST(Speculative, ResidualIsADistribution) {
  const std::vector<double> p = {0.5, 0.3, 0.2}, q = {0.2, 0.5, 0.3};
  const auto r = residual(p, q);
  EXPECT_NEAR(r[0], 1.0, 1e-12);  // only token 0 has p > q
  EXPECT_THROW(residual(p, p), std::invalid_argument);
}

TEST(Speculative, VerificationIsLossless) {
  // Draft x ~ q, verify against p: the emitted token must be distributed as p (chi-square,
  // 5 categories, 4 degrees of freedom, p = 0.001 critical value 18.47).
  const std::vector<double> p = distribution({1.0, 0.2, -0.5, 0.7, 0.0}, 0.8);
  const std::vector<double> q = distribution({-0.3, 1.1, 0.4, 0.0, 0.9}, 1.0);
  sim::Rng rng = sim::RandomStreams(3).stream("spec");
  const int n = 200000;
  std::vector<int> count(p.size(), 0);
  int accepted = 0;
  for (int t = 0; t < n; ++t) {
    const int x = sample(q, rng);
    const Verdict v = verify(p, q, x, rng);
    accepted += v.accepted;
    count[static_cast<std::size_t>(v.token)]++;
  }
  double chi2 = 0;
  for (std::size_t i = 0; i < p.size(); ++i) chi2 += std::pow(count[i] - n * p[i], 2) / (n * p[i]);
  EXPECT_LT(chi2, 18.47);
  // The acceptance rate is sum_i min(p_i, q_i).
  double overlap = 0;
  for (std::size_t i = 0; i < p.size(); ++i) overlap += std::min(p[i], q[i]);
  EXPECT_NEAR(static_cast<double>(accepted) / n, overlap, 0.005);
}

TEST(Speculative, AcceptanceConversionsRoundTrip) {
  for (int gamma : {1, 2, 6, 12})
    for (double alpha : {0.1, 0.5, 0.9, 0.977})
      EXPECT_NEAR(alpha_from_per_round(per_round_rate(alpha, gamma), gamma), alpha, 1e-12) << gamma << " " << alpha;
  // TriForce Table 2's 0.9234 at gamma2 = 6 is a per-token alpha of about 0.977 (brief §1.2).
  EXPECT_NEAR(alpha_from_per_round(0.9234, 6), 0.977, 0.001);
  EXPECT_DOUBLE_EQ(expected_tokens(0.5, 3), 1 + 0.5 + 0.25 + 0.125);
}

sim::Task<void> rounds(sim::Engine& e, double alpha, int gamma, int n, double& mean_accepted, double& mean_tokens) {
  sim::Rng rng = e.random("verifier");
  long total = 0;
  for (int r = 0; r < n; ++r) {
    total += simulate_round(alpha, gamma, rng);
    co_await e.sleep(sim::microseconds(10));  // a round's verification time, charged
  }
  mean_accepted = static_cast<double>(total) / n;
  mean_tokens = mean_accepted + 1;  // plus the corrected or bonus token
}

TEST(Speculative, SimulatedRoundsAgreeWithTheClosedForm) {
  sim::Engine e(11);
  double acc = 0, tok = 0;
  const double alpha = 0.8;
  const int gamma = 6, n = 100000;
  e.spawn(rounds(e, alpha, gamma, n, acc, tok), "rounds");
  e.run();
  // Standard error of A's mean is below 2/sqrt(n): well within 0.02.
  EXPECT_NEAR(acc, expected_accepted(alpha, gamma), 0.02);
  EXPECT_NEAR(tok, expected_tokens(alpha, gamma), 0.02);
  EXPECT_EQ(e.now(), sim::microseconds(10) * n);
}

}  // namespace
}  // namespace kvsim::models::spec
