// tests/app/kinds_test.cpp — every kind runs on the engine it is handed: a shipped scenario of each
// kind fills the timeline (the `--trace` and the HDF5 `timeline` summary).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/run_point.h"

namespace kvsim::runner {
namespace {

const std::string kDir = std::string(KVSIM_SOURCE_DIR) + "/scenarios/";

TEST(Kinds, EveryKindPutsItsWorkOnTheTimeline) {
  // One small shipped scenario per kind (the first point of a sweep), narrowed where it is long.
  const std::map<std::string, std::pair<std::string, std::vector<std::string>>> cases = {
      {"exchange", {"examples/lan-wan-exchange.toml", {}}},
      {"decode", {"examples/decode-7b-a100.toml", {}}},
      {"speculative", {"triforce/table3-2x4090.toml", {"workload.generate=32"}}},
      {"speculative-levels", {"triforce/fig1.toml", {}}},
      {"kv-quality", {"kv/quality.toml", {"workload.episodes=1"}}},
      {"private-decode", {"mpcache/ablation.toml", {}}},
      {"mpc-gather", {"mpcache/token-gather.toml", {}}},
      {"solve-cost", {"datarus/s1-cost-per-solved.toml", {}}},
      {"grpo-rollout", {"datarus/s2-grpo-rollout.toml", {}}},
      {"reference-sharding", {"datarus/s3-reference-sharding.toml", {}}},
      {"agentic-turns", {"datarus/s4-agentic-turns.toml", {}}},
  };
  const KindRegistry kinds = builtin_kinds();
  std::set<std::string> covered;
  for (const auto& [kind, c] : cases) {
    const auto points = scenarios::resolve(kDir + c.first, c.second, kinds.lookup());
    ASSERT_FALSE(points.empty()) << c.first;
    ASSERT_EQ(points.front().kind(), kind) << c.first;
    const results::RunRecord r = run_point(points.front(), kinds, RunOptions{});
    EXPECT_FALSE(r.timeline.empty()) << kind << ": nothing on the engine's timeline";
    covered.insert(kind);
  }
  for (const std::string& name : kinds.names()) EXPECT_TRUE(covered.count(name)) << "kind '" << name << "' has no case here";
}

}  // namespace
}  // namespace kvsim::runner

namespace kvsim::runner {
namespace {

// A reproduced TriForce row reports the acceptance its own simulation measured; over its runs it
// equals the rate the scenario gave (TriForce's per-round definition for TriForce, the per-token
// reading for the naive policy), within Monte Carlo error.
TEST(Kinds, SpeculativeRowsMeasureTheAcceptanceTheyWereGiven) {
  const KindRegistry kinds = builtin_kinds();
  for (const std::string file : {"triforce/table2-triforce.toml", "triforce/table2-naive.toml"}) {
    const auto points = scenarios::resolve(kDir + file, {"workload.runs=200"}, kinds.lookup());
    for (std::size_t i : {std::size_t{0}, points.size() - 1}) {
      const results::RunRecord r = run_point(points[i], kinds, RunOptions{});
      double measured = -1, given = -1;
      for (const auto& m : r.metrics) {
        if (m.name == "acceptance_given") given = m.value;
        if (m.name == (file.find("naive") != std::string::npos ? "acceptance_per_token" : "acceptance_per_round")) measured = m.value;
      }
      ASSERT_GT(given, 0) << file;
      EXPECT_NEAR(measured, given, 0.01) << file << " point " << i;
    }
  }
}

}  // namespace
}  // namespace kvsim::runner
