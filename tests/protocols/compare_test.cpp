// tests/protocols/compare_test.cpp — msb and eqz on bit planes (aby3, semi2k): exact on the
// ring's edge values at sizes around a plane word, declared == measured per party, and the
// state-of-the-art budget: at most 38 bytes per element and party and at most 9 rounds.
#include <gtest/gtest.h>

#include <limits>

#include "protocols/bit_planes.h"
#include "tests/protocols/three_party.h"

namespace kvsim::protocols {
namespace {

using namespace testing_three_party;

RingTensor ring_values(std::size_t n, std::uint64_t seed) {
  const std::vector<Ring> edges = {0, 1, 2, (Ring{1} << 63) - 1, Ring{1} << 63, (Ring{1} << 63) + 1,
                                   std::numeric_limits<Ring>::max(), std::numeric_limits<Ring>::max() - 1,
                                   Ring{1} << 62, (Ring{3} << 62)};
  sim::Rng rng = sim::RandomStreams(seed).stream("ring");
  RingTensor t(Shape{static_cast<std::int64_t>(n)});
  for (std::size_t i = 0; i < n; ++i) t.data[i] = i < edges.size() ? edges[i] : rng();
  for (std::size_t i = 13; i < n; i += 17) t.data[i] = 0;  // equality needs zeros beyond the edges
  return t;
}

class PlaneMsb : public ::testing::TestWithParam<std::string> {};

TEST_P(PlaneMsb, IsExactAroundAPlaneWord) {
  for (std::size_t n : {1u, 10u, 63u, 64u, 65u, 200u}) {
    const RingTensor in = ring_values(n, n);
    const Outcome m = run_op(GetParam(), false, in, [](Protocol& P, const Share& x) { return P.msb(x); });
    expect_cost(m, declared_of(GetParam(), [n](const Protocol& P) { return P.declared(Op::kMsb, static_cast<std::int64_t>(n)); }),
                "msb");
    ASSERT_EQ(m.out.size(), n);
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(m.out[i], in.data[i] >> 63) << GetParam() << " n " << n << " at " << i;
    const Outcome z = run_op(GetParam(), false, in, [](Protocol& P, const Share& x) { return P.eqz(x); });
    expect_cost(z, declared_of(GetParam(), [n](const Protocol& P) { return P.declared(Op::kEqz, static_cast<std::int64_t>(n)); }),
                "eqz");
    ASSERT_EQ(z.out.size(), n);
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(z.out[i], in.data[i] == 0 ? 1u : 0u) << GetParam() << " n " << n << " at " << i;
  }
}

TEST_P(PlaneMsb, CostModeChargesWhatExecuteModeSends) {
  const RingTensor in = ring_values(130, 7);
  for (bool equality : {false, true}) {
    auto op = [equality](Protocol& P, const Share& x) { return equality ? P.eqz(x) : P.msb(x); };
    const Outcome run = run_op(GetParam(), false, in, op), cost = run_op(GetParam(), true, in, op);
    for (std::size_t p = 0; p < 3; ++p) {
      EXPECT_EQ(run.cost[p].bytes_sent, cost.cost[p].bytes_sent) << equality << " party " << p;
      EXPECT_EQ(run.cost[p].rounds, cost.cost[p].rounds) << equality << " party " << p;
    }
    EXPECT_EQ(run.offline_bytes, cost.offline_bytes) << equality;
  }
}

TEST_P(PlaneMsb, FitsTheStateOfTheArtBudget) {
  // MP-SPDZ's replicated-ring less-than: 38 bytes per comparison and party, 9 rounds.
  constexpr std::int64_t n = 6400;
  for (Op op : {Op::kMsb, Op::kEqz}) {
    const OpCost c = declared_of(GetParam(), [op](const Protocol& P) { return P.declared(op, n); });
    for (std::size_t p = 0; p < 3; ++p) {
      EXPECT_LE(c.bytes[p] / static_cast<double>(n), 38.0) << GetParam() << " " << op_name(op) << " party " << p;
      EXPECT_LE(c.rounds[p], 9) << GetParam() << " " << op_name(op) << " party " << p;
    }
    EXPECT_LE(c.offline_bytes / static_cast<double>(n), 38.0) << GetParam() << " " << op_name(op) << " dealer";
  }
}

INSTANTIATE_TEST_SUITE_P(Families, PlaneMsb, ::testing::Values("aby3", "semi2k"));

TEST(BitPlanes, TransposeRoundTripsAndTheTreeCountsItsAnds) {
  std::vector<Ring> v(130);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0x9E3779B97F4A7C15ULL * (i + 1);
  const std::vector<Ring> planes = to_planes(v, 64);
  ASSERT_EQ(planes.size(), 64u * 3u);
  for (int k = 0; k < 64; ++k) {
    const std::vector<Ring> bits = plane_bits(planes.data() + 3 * k, v.size());
    for (std::size_t j = 0; j < v.size(); ++j) ASSERT_EQ(bits[j], (v[j] >> k) & 1) << k << " " << j;
  }
  EXPECT_EQ(planes[63 * 3 + 2] >> 2, 0u);  // the last word's padding is zero
  EXPECT_EQ(carry_tree_pairs(63), (std::vector<int>{31, 16, 8, 4, 2, 1}));
  EXPECT_EQ(carry_tree_and_planes(63), 118);
  EXPECT_EQ(carry_tree_pairs(1), std::vector<int>{});
}

}  // namespace
}  // namespace kvsim::protocols
