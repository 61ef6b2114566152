// tests/sim/time_random_test.cpp — integer time conversions and named random streams.
#include <gtest/gtest.h>

#include <set>

#include "sim/random.h"
#include "sim/time.h"

namespace kvsim::sim {
namespace {

TEST(Time, TransferTimeIsExactForIntegerBandwidths) {
  EXPECT_EQ(transfer_time(1'000'000, 125e6), milliseconds(8));
  EXPECT_EQ(transfer_time(0, 125e6), 0);
  EXPECT_EQ(transfer_time(1, 8e9), 125);  // 1 B at 64 Gbit/s = 125 ps
  EXPECT_EQ(transfer_time(1, 3), 333'333'333'334);  // rounded up
  EXPECT_THROW(transfer_time(1, 0), std::invalid_argument);
}

// A petabyte over 1 GB/s (11.6 days) fits the clock; 1000 TiB over 100 MB/s (130 days) does not,
// and says so instead of wrapping to a negative time.
TEST(Time, TransfersBeyondTheClockSpanAreRefused) {
  EXPECT_GT(transfer_time(1'000'000'000'000'000ULL, 1e9), 0);
  EXPECT_THROW(transfer_time(1000ULL << 40, 1e8), std::overflow_error);
  EXPECT_THROW(transfer_time(1000ULL << 40, 1e8 + 0.5), std::overflow_error);  // the floating-point path
  EXPECT_EQ(advance(5, 7), 12);
  EXPECT_THROW(advance(kTimeMax - 3, 4), std::overflow_error);
}

TEST(Time, FromSecondsRoundsToNearestPicosecond) {
  EXPECT_EQ(from_seconds(0.25e-3), microseconds(250));
  EXPECT_EQ(from_seconds(1.5e-12), 2);
  EXPECT_THROW(from_seconds(-1), std::out_of_range);
  EXPECT_EQ(format_duration(microseconds(250)), "250.000 us");
}

TEST(Random, StreamsDependOnSeedAndNameOnly) {
  RandomStreams a(42), b(42);
  Rng x1 = a.stream("link/lan");
  (void)a.stream("something else");  // creating other streams changes nothing
  Rng x2 = b.stream("link/lan");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(x1(), x2());
  Rng y = a.stream("link/wan");
  Rng z = RandomStreams(43).stream("link/lan");
  Rng x3 = a.stream("link/lan");
  std::uint64_t v = x3();
  EXPECT_NE(v, y());
  EXPECT_NE(v, z());
}

TEST(Random, UniformHelpersStayInRange) {
  Rng r = RandomStreams(1).stream("t");
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 10'000; ++i) {
    const double u = uniform01(r);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    const auto k = uniform_below(r, 7);
    ASSERT_LT(k, 7u);
    seen.insert(k);
  }
  EXPECT_EQ(seen.size(), 7u);
}

TEST(Random, KnownFirstValueIsStableAcrossBuilds) {
  // Pins the derivation: changing it silently would change every published result.
  Rng r = RandomStreams(1).stream("pin");
  const std::uint64_t first = r();
  Rng again = RandomStreams(1).stream("pin");
  EXPECT_EQ(first, again());
  EXPECT_EQ(mix64(0), 0xe220a8397b1dcdafULL);
}

}  // namespace
}  // namespace kvsim::sim
