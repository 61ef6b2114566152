// tests/app/exchange_test.cpp — the exchange kind against a hand-computed schedule.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kvsim::runner
