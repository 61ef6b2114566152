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
    const results::RunRecord r = run_point(points.front(), kinds, RunOptions{true, ""});
    EXPECT_FALSE(r.timeline.empty()) << kind << ": nothing on the engine's timeline";
    covered.insert(kind);
  }
  for (const std::string& name : kinds.names()) EXPECT_TRUE(covered.count(name)) << "kind '" << name << "' has no case here";
}

}  // namespace
}  // namespace kvsim::runner
