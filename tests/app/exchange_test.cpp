// tests/app/exchange_test.cpp — the exchange kind against a hand-computed schedule.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/run_point.h"

namespace kvsim::runner {
namespace {

double metric(const results::RunRecord& r, const std::string& name) {
  for (const auto& m : r.metrics) if (m.name == name) return m.value;
  ADD_FAILURE() << "no metric " << name;
  return 0;
}

TEST(ExchangeKind, TwoPartiesMatchTheClosedForm) {
  // Per round: copy is hidden except the first (1 MB at 1 GB/s = 1 ms); compute 2 ms
  // (2 GFLOP at 1 TFLOP/s); then 1 MB each way over 8 Mbit/s-equivalent 1 MB/s = 1 s serialization
  // + 10 ms latency. Both parties are symmetric, so each round ends at
  //   prev_end + max(copy ready, .) + compute + 1 s + 10 ms.
  const std::string path = (std::filesystem::path(::testing::TempDir()) / "two.toml").string();
  std::ofstream(path) << R"(kind = "exchange"
[[parties]]
name = "a"
device = "d"
[[parties]]
name = "b"
device = "d2"
[links.l]
between = ["a", "b"]
bandwidth = "1 MB/s"
latency = "10 ms"
[devices.d]
compute_rate = "1 TFLOP/s"
copy_bandwidth = "1 GB/s"
[devices.d2]
compute_rate = "1 TFLOP/s"
copy_bandwidth = "1 GB/s"
[workload]
rounds = 3
message_size = "1 MB"
flops_per_round = "2 GFLOP"
input_per_round = "1 MB"
)";
  const KindRegistry kinds = builtin_kinds();
  const auto points = scenarios::resolve(path, {}, kinds.lookup());
  const results::RunRecord r = run_point(points.at(0), kinds);
  const double round0 = 1e-3 + 2e-3 + 1.0 + 10e-3;  // first copy is exposed
  const double later = 2e-3 + 1.0 + 10e-3;          // later copies overlap the previous round
  EXPECT_NEAR(metric(r, "makespan"), round0 + 2 * later, 1e-12);
  EXPECT_EQ(metric(r, "bytes_total"), 6e6);
  EXPECT_EQ(metric(r, "messages_total"), 6);
  ASSERT_EQ(r.series.size(), 2u);
  EXPECT_NEAR(r.series[0].values[0], round0, 1e-12);
}

// Three parties in a chain with unequal devices and jittered sizes (rounds end unevenly, parties
// drift apart): the windowed series folds exactly the per-round one.
std::string chain(const std::string& name, bool computes) {
  const std::string path = (std::filesystem::path(::testing::TempDir()) / name).string();
  std::ofstream(path) << R"(kind = "exchange"
seed = 5
[[parties]]
name = "a"
device = "fast"
[[parties]]
name = "b"
device = "slow"
[[parties]]
name = "c"
device = "fast"
[links.ab]
between = ["a", "b"]
bandwidth = "1 MB/s"
latency = "1 ms"
[links.bc]
between = ["b", "c"]
bandwidth = "2 MB/s"
latency = "3 ms"
[devices.fast]
compute_rate = "1 TFLOP/s"
copy_bandwidth = "1 GB/s"
[devices.slow]
compute_rate = "0.25 TFLOP/s"
copy_bandwidth = "1 GB/s"
[workload]
rounds = 10
message_size = "10 kB"
size_jitter = 0.5
)" << (computes ? "flops_per_round = \"1 GFLOP\"\ninput_per_round = \"1 MB\"\n" : "flops_per_round = \"0 FLOP\"\n");
  return path;
}

TEST(ExchangeKind, WindowedSeriesFoldTheRoundsExactly) {
  const KindRegistry kinds = builtin_kinds();
  const std::string path = chain("chain.toml", true);
  const results::RunRecord all = run_point(scenarios::resolve(path, {}, kinds.lookup()).at(0), kinds);
  const results::RunRecord folded =
      run_point(scenarios::resolve(path, {"workload.series_rounds=3"}, kinds.lookup()).at(0), kinds);
  const std::vector<double>& ends = all.series[0].values;
  const std::vector<double>& times = all.series[1].values;
  ASSERT_EQ(ends.size(), 10u);
  EXPECT_EQ(metric(all, "series_stride"), 1);
  EXPECT_EQ(metric(folded, "series_stride"), 4);  // ceil(10 / 3)
  EXPECT_EQ(metric(all, "makespan"), metric(folded, "makespan"));
  // Windows of rounds 0-3, 4-7, 8-9: the last round end of each and its mean round time.
  ASSERT_EQ(folded.series[0].values.size(), 3u);
  const std::vector<std::pair<int, int>> windows = {{0, 3}, {4, 7}, {8, 9}};
  for (std::size_t w = 0; w < windows.size(); ++w) {
    const auto [first, last] = windows[w];
    EXPECT_DOUBLE_EQ(folded.series[0].values[w], ends[static_cast<std::size_t>(last)]);
    const double before = first == 0 ? 0.0 : ends[static_cast<std::size_t>(first - 1)];
    EXPECT_NEAR(folded.series[1].values[w], (ends[static_cast<std::size_t>(last)] - before) / (last - first + 1), 1e-15);
  }
  EXPECT_NEAR(metric(all, "min_round_time"), *std::min_element(times.begin(), times.end()), 1e-15);
  EXPECT_NEAR(metric(all, "max_round_time"), *std::max_element(times.begin(), times.end()), 1e-15);
  EXPECT_LT(metric(all, "min_round_time"), metric(all, "max_round_time"));  // uneven rounds
}

TEST(ExchangeKind, EmptyOperationsAreNotCharged) {
  const KindRegistry kinds = builtin_kinds();
  const results::RunRecord r = run_point(scenarios::resolve(chain("chain0.toml", false), {}, kinds.lookup()).at(0), kinds);
  for (const auto& t : r.timeline) EXPECT_EQ(t.resource.rfind("link/", 0), 0u) << t.resource;  // no device spans
  EXPECT_EQ(r.timeline.size(), 4u);  // two links, both directions
  // At most a delivery and a resume per message and a start per party: no wait on an empty op.
  EXPECT_LE(metric(r, "events"), 2 * metric(r, "messages_total") + 3);
}

}  // namespace
}  // namespace kvsim::runner
