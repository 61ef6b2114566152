// tests/app/calibration_test.cpp — the calibration scenarios stay near their published figures.
// These are the figures the profiles' fitted constants were fitted to (docs/calibration.md); a
// profile edit that moves them fails here instead of silently shifting every reproduction.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/run_point.h"

namespace kvsim::runner {
namespace {

double metric(const results::RunRecord& r, const std::string& name) {
  for (const auto& m : r.metrics) if (m.name == name) return m.value;
  return std::nan("");
}

class Calibration : public ::testing::TestWithParam<std::string> {};

TEST_P(Calibration, WithinFivePercentOfThePaper) {
  const KindRegistry kinds = builtin_kinds();
  const std::string path = std::string(KVSIM_SOURCE_DIR) + "/scenarios/calibration/" + GetParam();
  const auto points = scenarios::resolve(path, {}, kinds.lookup());
  const results::RunRecord r = run_point(points.at(0), kinds);
  const double err = metric(r, "rel_error.step_latency");
  ASSERT_FALSE(std::isnan(err)) << "scenario has no reference step_latency";
  EXPECT_LT(std::fabs(err), 0.05) << "simulated " << metric(r, "step_latency") << " s vs paper "
                                  << metric(r, "paper.step_latency") << " s";
  const double mem_err = metric(r, "rel_error.gpu_memory");
  if (!std::isnan(mem_err)) {
    EXPECT_LT(std::fabs(mem_err), 0.10);
  }
}

INSTANTIATE_TEST_SUITE_P(TriForce, Calibration,
                         ::testing::Values("fig1-draft-68m.toml", "fig1-target-retrieval-4k.toml",
                                           "fig1-target-full.toml", "ar-2x4090-offload.toml"),
                         [](const auto& info) {
                           std::string n = info.param.substr(0, info.param.size() - 5);
                           for (char& c : n) if (c == '-') c = '_';
                           return n;
                         });

TEST(DecodeKind, NotFittingIsAnErrorNamingTheNumbers) {
  const KindRegistry kinds = builtin_kinds();
  const std::string path = std::string(KVSIM_SOURCE_DIR) + "/scenarios/calibration/fig1-target-full.toml";
  const auto points = scenarios::resolve(path, {"deployment.gpu=rtx4090"}, kinds.lookup());
  try {
    run_point(points.at(0), kinds);
    FAIL() << "a 7B with a 122K cache cannot fit a 24 GB GPU";
  } catch (const scenarios::ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("kv_cache"), std::string::npos);
  }
  const auto reported = scenarios::resolve(path, {"deployment.gpu=rtx4090", "workload.on_not_fit=report"}, kinds.lookup());
  const results::RunRecord r = run_point(reported.at(0), kinds);
  EXPECT_EQ(metric(r, "fits"), 0.0);
  EXPECT_TRUE(std::isnan(metric(r, "step_latency")));
}

TEST(DecodeKind, ContextBeyondTheModelIsRefusedUnlessAskedFor) {
  const KindRegistry kinds = builtin_kinds();
  const std::string path = std::string(KVSIM_SOURCE_DIR) + "/scenarios/calibration/fig1-target-full.toml";
  const auto points = scenarios::resolve(path, {"model.name=llama2-7b"}, kinds.lookup());  // 4K context
  try {
    run_point(points.at(0), kinds);
    FAIL();
  } catch (const scenarios::ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("beyond llama2-7b's max context of 4096"), std::string::npos) << e.what();
  }
  const auto ignored = scenarios::resolve(path, {"model.name=llama2-7b", "workload.context_limit=ignore"}, kinds.lookup());
  EXPECT_NO_THROW(run_point(ignored.at(0), kinds));
}

TEST(DecodeKind, ContextGrowsAcrossSteps) {
  const KindRegistry kinds = builtin_kinds();
  const std::string path = std::string(KVSIM_SOURCE_DIR) + "/scenarios/calibration/fig1-target-full.toml";
  const auto points = scenarios::resolve(path, {"workload.steps=3", "workload.query_tokens=1"}, kinds.lookup());
  const results::RunRecord r = run_point(points.at(0), kinds);
  ASSERT_EQ(r.series.at(0).values.size(), 3u);
  EXPECT_LT(r.series[0].values[0], r.series[0].values[2]);  // more KV to read each step
}

}  // namespace
}  // namespace kvsim::runner
