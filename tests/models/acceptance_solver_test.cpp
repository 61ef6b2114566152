// tests/models/acceptance_solver_test.cpp — per-token acceptance from TriForce's per-round rates:
// the middle stage's gamma2 distribution against the brief's table, the solver's round trip, and
// the loop on the engine measuring the rate it was given (within Monte Carlo error).
#include <gtest/gtest.h>

#include <cmath>

#include "hardware/profile.h"
#include "models/architecture.h"
#include "models/speculative/acceptance_solver.h"
#include "models/speculative/math.h"
#include "models/speculative/triforce_loop.h"

namespace kvsim::models::spec {
namespace {

TEST(AcceptanceSolver, ReleasedMiddleStageMatchesTheChainByHand) {
  // The released loop (gamma1 = 1, gamma = 6) at beta = 0.46, by hand: the chain visits n with
  // r0 = 1, r1 = 0.54, r2 = 0.46 + 0.54^2 = 0.7516, r3 = 0.54 r2 + 0.46 r1 = 0.654264,
  // r4 = 0.699039, r5 = 0.678442; E[iterations] = r0 + ... + r5 = 4.323345 and
  // P(gamma2 = 7) = 0.46 r5 = 0.312083.
  const MiddleStage hand = middle_stage(0.46, 1, 6);
  EXPECT_NEAR(hand.iterations, 4.323345, 1e-6);
  EXPECT_NEAR(hand.p[1], 0.312083, 1e-6);
  EXPECT_NEAR(hand.mean_gamma2(), 6.312083, 1e-6);
  // The brief's table of the same chain (two decimals, its own arithmetic) agrees within 0.015.
  const struct {
    double beta, iterations, gamma2;
  } rows[] = {{0.46, 4.31, 6.31}, {0.40, 4.48, 6.29}, {0.27, 4.90, 6.21}};
  for (const auto& r : rows) {
    const MiddleStage s = middle_stage(r.beta, 1, 6);
    EXPECT_NEAR(s.iterations, r.iterations, 0.015) << r.beta;
    EXPECT_NEAR(s.mean_gamma2(), r.gamma2, 0.015) << r.beta;
    ASSERT_EQ(s.p.size(), 2u);
    EXPECT_NEAR(s.p[0] + s.p[1], 1.0, 1e-12);
  }
  // beta = 0: one token per iteration, gamma2 = gamma exactly; beta = 1: two per iteration.
  EXPECT_DOUBLE_EQ(middle_stage(0, 1, 6).iterations, 6);
  EXPECT_DOUBLE_EQ(middle_stage(0, 1, 6).p[0], 1);
  EXPECT_DOUBLE_EQ(middle_stage(1, 1, 6).iterations, 3);
  EXPECT_DOUBLE_EQ(middle_stage(1, 2, 6).iterations, 2);  // three tokens per iteration
  // Algorithm 1 with gamma1 = 2 can overshoot by two.
  EXPECT_EQ(middle_stage(0.5, 2, 6).p.size(), 3u);
}

TEST(AcceptanceSolver, RoundTripsAndReducesToTheFixedGammaForm) {
  for (int gamma1 : {1, 2, 3})
    for (double beta : {0.0, 0.3, 0.8})
      for (double alpha : {0.2, 0.7, 0.95, 0.99}) {
        const double rate = round_rate(alpha, beta, gamma1, 6);
        EXPECT_NEAR(alpha_for_rate(rate, beta, gamma1, 6), alpha, 1e-9) << gamma1 << " " << beta << " " << alpha;
      }
  // With beta = 0 every iteration adds one token: gamma2 = gamma, the closed form of math.h.
  EXPECT_NEAR(round_rate(0.9, 0, 1, 6), per_round_rate(0.9, 6), 1e-12);
  EXPECT_THROW(alpha_for_rate(1.5, 0.4, 1, 6), std::invalid_argument);
}

// The loop, run for many rounds at the solved alpha, measures the rate it was given.
double measured_rate(LoopMethod method, int gamma1, double given, double beta) {
  const hardware::Catalog cat = hardware::Catalog::load(hardware::Catalog::default_dir());
  const Zoo zoo = Zoo::load(Zoo::default_dir());
  const Deployment dep = standard_deployment(cat, "a100-80gb-sxm", 1, KvPlacement::kGpu, 0);
  LoopConfig c;
  c.method = method;
  c.gamma1 = gamma1;
  c.gamma2 = 6;
  c.prompt = 4096;
  c.generate = 12000;
  LoopAcceptance acc;
  acc.draft = beta;
  acc.full = alpha_for_rate(given, beta, method == LoopMethod::kTriforceCode ? 1 : gamma1, c.gamma2);
  sim::Engine engine(11);
  Machine machine = make_machine(engine, dep);
  LevelCosts costs(zoo.get("yarn-llama2-7b-128k"), zoo.get("llama-68m"), dep, 1);
  sim::Rng rng = engine.random("acceptance");
  LoopResult r;
  engine.spawn(run_loop(engine, machine, costs, c, acc, rng, r), "loop");
  engine.run();
  EXPECT_GT(r.rounds, 1000);
  return static_cast<double>(r.accepted) / static_cast<double>(r.drafted);
}

TEST(AcceptanceSolver, TheLoopMeasuresTheRateItWasGiven) {
  // About 1,500-2,000 verifications of 6-8 drafts: the rate's Monte Carlo error is about 0.004.
  EXPECT_NEAR(measured_rate(LoopMethod::kTriforceCode, 1, 0.9137, 0.4036), 0.9137, 0.015);
  EXPECT_NEAR(measured_rate(LoopMethod::kTriforce, 2, 0.9137, 0.4036), 0.9137, 0.015);
  EXPECT_NEAR(measured_rate(LoopMethod::kTriforceCode, 1, 0.70, 0.25), 0.70, 0.015);
}

}  // namespace
}  // namespace kvsim::models::spec
