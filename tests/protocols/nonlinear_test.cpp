// tests/protocols/nonlinear_test.cpp — ABY3's boolean circuits and the composite ops built on
// them, against the plaintext reference and their declared costs (execute and cost mode).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "hardware/profile.h"
#include "protocols/protocol.h"
#include "protocols/sim_network.h"
#include "sim/random.h"
#include "tests/protocols/expected_costs.h"
#include "tests/protocols/three_party.h"

namespace kvsim::protocols {
namespace {

using namespace testing_three_party;  // run3, run_op, expect_cost, declared_of, values


class Aby3Nonlinear : public ::testing::TestWithParam<bool> {};  // cost mode?

TEST_P(Aby3Nonlinear, MsbAndEqz) {
  const bool cost = GetParam();
  std::vector<double> v = values(200, -50, 50, 1);
  v[3] = 0;
  v[7] = 0;
  v[11] = -1e-5;
  const RingTensor in = encode({200}, v);
  const Outcome m = run_op("aby3", cost, in, [](Protocol& P, const Share& x) { return P.msb(x); });
  expect_cost(m, declared_of("aby3", [](const Protocol& P) { return P.declared(Op::kMsb, 200); }), "msb");
  const Outcome z = run_op("aby3", cost, in, [](Protocol& P, const Share& x) { return P.eqz(x); });
  expect_cost(z, declared_of("aby3", [](const Protocol& P) { return P.declared(Op::kEqz, 200); }), "eqz");
  if (cost) return;
  for (std::size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(m.out[i], in.data[i] >> 63 ? 1u : 0u) << i << " " << v[i];
    EXPECT_EQ(z.out[i], in.data[i] == 0 ? 1u : 0u) << i;
  }
}

TEST_P(Aby3Nonlinear, MaxExpReciprocalSoftmax) {
  const bool cost = GetParam();
  const std::int64_t rows = 3, cols = 13;
  const std::vector<double> v = values(static_cast<std::size_t>(rows * cols), -6, 6, 2);
  const RingTensor in = encode({rows, cols}, v);
  const MatDims shape{1, 1, cols, 1};

  const Outcome mx = run_op("aby3", cost, in, [&](Protocol& P, const Share& x) { return P.max_rows(x, rows, cols); });
  expect_cost(mx, declared_of("aby3", [&](const Protocol& P) { return expected_composite(P, "max_rows", rows, shape); }), "max");
  const Outcome sm = run_op("aby3", cost, in, [&](Protocol& P, const Share& x) { return P.softmax_rows(x, rows, cols); });
  expect_cost(sm, declared_of("aby3", [&](const Protocol& P) { return expected_composite(P, "softmax_rows", rows, shape); }),
              "softmax");
  const std::vector<double> neg = values(64, -14, 0, 3);
  const RingTensor nin = encode({64}, neg);
  const Outcome ex = run_op("aby3", cost, nin, [](Protocol& P, const Share& x) { return P.exp(x); });
  expect_cost(ex, declared_of("aby3", [](const Protocol& P) { return expected_composite(P, "exp", 64); }), "exp");
  const std::vector<double> den = values(64, 1, 100, 4);
  const RingTensor din = encode({64}, den);
  const Outcome rc = run_op("aby3", cost, din, [](Protocol& P, const Share& x) { return P.reciprocal(x, 100); });
  expect_cost(rc, declared_of("aby3", [](const Protocol& P) { return expected_composite(P, "reciprocal", 64, MatDims{1, 1, 100, 1}); }),
              "reciprocal");
  if (cost) return;

  for (std::int64_t r = 0; r < rows; ++r) {
    const double ref = *std::max_element(v.begin() + r * cols, v.begin() + (r + 1) * cols);
    EXPECT_EQ(decode_fixed(mx.out[static_cast<std::size_t>(r)]), decode_fixed(encode_fixed(ref))) << r;  // exact
    double z = 0;
    for (std::int64_t c = 0; c < cols; ++c) z += std::exp(v[static_cast<std::size_t>(r * cols + c)] - ref);
    for (std::int64_t c = 0; c < cols; ++c) {
      const double want = std::exp(v[static_cast<std::size_t>(r * cols + c)] - ref) / z;
      EXPECT_NEAR(decode_fixed(sm.out[static_cast<std::size_t>(r * cols + c)]), want, 0.01) << r << "," << c;
    }
  }
  for (std::size_t i = 0; i < neg.size(); ++i) {
    // The limit approximation's own error, ln(approx / exp) ~ -x^2 / 2^(t+1), plus the rounding of
    // 1 + x / 2^t to 2^-f, which the 2^t-th power amplifies to a relative 2^(t - f).
    const double rel = neg[i] * neg[i] / std::ldexp(1.0, Protocol::kExpIterations + 1) +
                       1.5 * std::ldexp(1.0, Protocol::kExpIterations - 18);
    EXPECT_NEAR(decode_fixed(ex.out[i]), std::exp(neg[i]), 1.2 * rel * std::exp(neg[i]) + 16 * std::ldexp(1.0, -18)) << neg[i];
  }
  for (std::size_t i = 0; i < den.size(); ++i) EXPECT_NEAR(decode_fixed(rc.out[i]), 1 / den[i], 1e-4) << den[i];
}

TEST_P(Aby3Nonlinear, OneHotGatherSelectsTheRow) {
  const bool cost = GetParam();
  const std::int64_t T = 16, D = 4;
  const RingTensor idx(Shape{2}, std::vector<Ring>{5, 12});  // secret integer indices
  const std::vector<double> tab = values(static_cast<std::size_t>(T * D), -3, 3, 5);
  const RingTensor table = encode({T, D}, tab);
  std::vector<Ring> got;
  std::vector<CommStats> costs(3);
  run3("aby3", cost, [&](Protocol& P) -> sim::Task<void> {
    Share i = co_await P.input(0, P.id() == 0 ? &idx : nullptr, idx.shape);
    Share t = co_await P.input(1, P.id() == 1 ? &table : nullptr, table.shape);
    const CommStats before = P.channel().stats();
    Share hot = co_await P.one_hot(i, T);
    costs[static_cast<std::size_t>(P.id())] = P.channel().stats() - before;
    // Gather rows by the one-hot matmul: integer one-hot times fixed point needs no truncation.
    Share rows = co_await P.matmul(hot, t, MatDims{1, 2, T, D});
    RingTensor r = co_await P.reveal(rows);
    if (P.id() == 0) got = r.data;
  });
  const OpCost c = declared_of("aby3", [&](const Protocol& P) { return expected_composite(P, "one_hot", 2, MatDims{1, 1, T, 1}); });
  for (std::size_t p = 0; p < 3; ++p) {
    EXPECT_EQ(costs[p].rounds, static_cast<std::uint64_t>(c.rounds[p]));
    EXPECT_EQ(static_cast<double>(costs[p].bytes_sent), c.bytes[p]);
  }
  if (cost) return;
  for (std::int64_t d = 0; d < D; ++d) {
    EXPECT_EQ(got[static_cast<std::size_t>(d)], table.data[static_cast<std::size_t>(5 * D + d)]);
    EXPECT_EQ(got[static_cast<std::size_t>(D + d)], table.data[static_cast<std::size_t>(12 * D + d)]);
  }
}

TEST_P(Aby3Nonlinear, ActivationsRsqrtArgmax) {
  const bool cost = GetParam();
  std::vector<double> v = values(120, -10, 10, 6);
  v[0] = -8.5, v[1] = -4.0, v[2] = 3.9, v[3] = 4.1, v[4] = 0.0;
  const RingTensor in = encode({120}, v);
  const Outcome si = run_op("aby3", cost, in, [](Protocol& P, const Share& x) { return P.silu(x); });
  expect_cost(si, declared_of("aby3", [](const Protocol& P) { return expected_composite(P, "silu", 120); }), "silu");
  const Outcome ge = run_op("aby3", cost, in, [](Protocol& P, const Share& x) { return P.gelu(x); });
  expect_cost(ge, declared_of("aby3", [](const Protocol& P) { return expected_composite(P, "gelu", 120); }), "gelu");
  const std::vector<double> pos = values(32, 1, 400, 7);
  const RingTensor pin = encode({32}, pos);
  const Outcome rs = run_op("aby3", cost, pin, [](Protocol& P, const Share& x) { return P.rsqrt(x, 400); });
  expect_cost(rs, declared_of("aby3", [](const Protocol& P) { return expected_composite(P, "rsqrt", 32, MatDims{1, 1, 400, 1}); }),
              "rsqrt");
  const std::int64_t rows = 4, cols = 9;
  std::vector<double> am = values(static_cast<std::size_t>(rows * cols), -5, 5, 8);
  am[2 * cols + 3] = am[2 * cols + 7] = 9.0;  // a tie: the first one wins
  const RingTensor ain = encode({rows, cols}, am);
  const Outcome ag = run_op("aby3", cost, ain, [&](Protocol& P, const Share& x) { return P.argmax_rows(x, rows, cols); });
  expect_cost(ag, declared_of("aby3", [&](const Protocol& P) { return expected_composite(P, "argmax_rows", rows, MatDims{1, 1, cols, 1}); }),
              "argmax");
  if (cost) return;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double x = v[i];
    const double silu_ref = x < -8 ? 0 : x > 4 ? x : x / (1 + std::exp(-x));
    const double gelu_ref = x < -4 ? 0 : x >= 3 ? x : 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    // The brief's SiLU polynomial is within 0.03 of SiLU on its pieces (its own fit); GeLU's
    // pieces within 1.2e-3 (tools/mpc/fit_gelu.py); plus fixed-point rounding.
    EXPECT_NEAR(decode_fixed(si.out[i]), silu_ref, 0.03) << x;
    EXPECT_NEAR(decode_fixed(ge.out[i]), gelu_ref, 1.5e-3) << x;
  }
  for (std::size_t i = 0; i < pos.size(); ++i) EXPECT_NEAR(decode_fixed(rs.out[i]), 1 / std::sqrt(pos[i]), 2e-4) << pos[i];
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = am.begin() + r * cols;
    const auto best = std::max_element(row, row + cols) - row;  // the first maximum
    for (std::int64_t c = 0; c < cols; ++c)
      EXPECT_EQ(ag.out[static_cast<std::size_t>(r * cols + c)], c == best ? 1u : 0u) << r << "," << c;
  }
}

TEST_P(Aby3Nonlinear, TopKBySortingNetwork) {
  const bool cost = GetParam();
  const std::int64_t rows = 3, cols = 11, k = 4;  // padded to 16
  const std::vector<double> v = values(static_cast<std::size_t>(rows * cols), -20, 20, 10);
  const RingTensor in = encode({rows, cols}, v);
  std::vector<Ring> vals, idxs;
  std::vector<CommStats> costs(3);
  run3("aby3", cost, [&](Protocol& P) -> sim::Task<void> {
    Share x = co_await P.input(0, P.id() == 0 ? &in : nullptr, in.shape);
    const CommStats before = P.channel().stats();
    Protocol::TopK t = co_await P.topk_rows(x, rows, cols, k);
    costs[static_cast<std::size_t>(P.id())] = P.channel().stats() - before;
    RingTensor rv = co_await P.reveal(t.values);
    RingTensor ri = co_await P.reveal(t.indices);
    if (P.id() == 0) vals = rv.data, idxs = ri.data;
  });
  const OpCost c = declared_of("aby3", [&](const Protocol& P) { return expected_composite(P, "topk_rows", rows, MatDims{1, 1, cols, 1}); });
  for (std::size_t p = 0; p < 3; ++p) {
    EXPECT_EQ(costs[p].rounds, static_cast<std::uint64_t>(c.rounds[p]));
    EXPECT_EQ(static_cast<double>(costs[p].bytes_sent), c.bytes[p]);
  }
  if (cost) return;
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(cols));
    for (std::int64_t c2 = 0; c2 < cols; ++c2) order[static_cast<std::size_t>(c2)] = c2;
    std::sort(order.begin(), order.end(), [&](auto x, auto y) { return v[static_cast<std::size_t>(r * cols + x)] > v[static_cast<std::size_t>(r * cols + y)]; });
    for (std::int64_t j = 0; j < k; ++j) {
      EXPECT_EQ(idxs[static_cast<std::size_t>(r * k + j)], static_cast<Ring>(order[static_cast<std::size_t>(j)])) << r << "," << j;
      EXPECT_EQ(vals[static_cast<std::size_t>(r * k + j)], in.data[static_cast<std::size_t>(r * cols + order[static_cast<std::size_t>(j)])]);
    }
  }
}

class ExactTrunc : public ::testing::TestWithParam<std::string> {};

TEST_P(ExactTrunc, IsFloorForEveryValueBelow2To62) {
  const std::string family = GetParam();
  sim::Rng rng = sim::RandomStreams(21).stream("t");
  RingTensor in(Shape{400});
  for (auto& v : in.data) {
    const auto mag = static_cast<std::int64_t>(rng() >> 3);  // |x| < 2^61
    v = static_cast<Ring>(rng() & 1 ? mag : -mag);
  }
  in.data[0] = 0, in.data[1] = static_cast<Ring>(-1), in.data[2] = static_cast<Ring>(1) << 40;
  const Outcome o = run_op(family, false, in, [](Protocol& P, const Share& x) { return P.trunc_exact(x, 18); });
  expect_cost(o, declared_of(family, [](const Protocol& P) { return P.declared(Op::kTruncExact, 400); }), "trunc_exact");
  for (std::size_t i = 0; i < in.data.size(); ++i) ASSERT_EQ(o.out[i], arshift(in.data[i], 18)) << i;
  const Outcome c = run_op(family, true, in, [](Protocol& P, const Share& x) { return P.trunc_exact(x, 18); });
  expect_cost(c, declared_of(family, [](const Protocol& P) { return P.declared(Op::kTruncExact, 400); }), "trunc_exact cost mode");
}

INSTANTIATE_TEST_SUITE_P(Families, ExactTrunc, ::testing::Values("aby3", "semi2k"));

class Conversions : public ::testing::TestWithParam<std::string> {};

TEST_P(Conversions, A2BThenB2ARoundTripsAndShuffleIsAPermutation) {
  const std::string family = GetParam();
  sim::Rng rng = sim::RandomStreams(31).stream("c");
  RingTensor in(Shape{50});
  for (auto& v : in.data) v = rng();
  std::vector<CommStats> a2b(3), b2a(3);
  double a2b_off = 0, b2a_off = 0;
  std::vector<Ring> back, shuffled;
  const std::int64_t cols = 50;
  run3(family, false, [&](Protocol& P) -> sim::Task<void> {
    Share x = co_await P.input(0, P.id() == 0 ? &in : nullptr, in.shape);
    CommStats s0 = P.channel().stats(), o0 = offline_of(P.channel());
    Share b = co_await P.to_boolean(x);
    CommStats s1 = P.channel().stats(), o1 = offline_of(P.channel());
    Share y = co_await P.to_arithmetic(b);
    CommStats s2 = P.channel().stats(), o2 = offline_of(P.channel());
    a2b[static_cast<std::size_t>(P.id())] = s1 - s0 - (o1 - o0);
    b2a[static_cast<std::size_t>(P.id())] = s2 - s1 - (o2 - o1);
    if (P.id() == 2) a2b_off = static_cast<double>((o1 - o0).bytes_sent), b2a_off = static_cast<double>((o2 - o1).bytes_sent);
    RingTensor r = co_await P.reveal(y);
    Share sh = co_await P.shuffle_rows(x, 1, cols, 1);
    RingTensor rs = co_await P.reveal(sh);
    if (P.id() == 0) back = r.data, shuffled = rs.data;
  });
  EXPECT_EQ(back, in.data);
  std::vector<Ring> a = shuffled, b = in.data;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
  EXPECT_NE(shuffled, in.data);
  const OpCost ca = declared_of(family, [](const Protocol& P) { return P.declared(Op::kToBoolean, 50); });
  const OpCost cb = declared_of(family, [](const Protocol& P) { return P.declared(Op::kToArithmetic, 50); });
  for (std::size_t p = 0; p < 3; ++p) {
    EXPECT_EQ(a2b[p].rounds, static_cast<std::uint64_t>(ca.rounds[p])) << p;
    EXPECT_EQ(static_cast<double>(a2b[p].bytes_sent), ca.bytes[p]) << p;
    EXPECT_EQ(b2a[p].rounds, static_cast<std::uint64_t>(cb.rounds[p])) << p;
    EXPECT_EQ(static_cast<double>(b2a[p].bytes_sent), cb.bytes[p]) << p;
  }
  EXPECT_EQ(a2b_off, ca.offline_bytes);
  EXPECT_EQ(b2a_off, cb.offline_bytes);
}

INSTANTIATE_TEST_SUITE_P(Families, Conversions, ::testing::Values("aby3", "semi2k"));

// The demultiplexer one-hot over an index's low bits: exact for every index of a class count
// that is not a power of two (and for one class), with declared == measured, in every family.
class NarrowOneHot : public ::testing::TestWithParam<std::string> {};

TEST_P(NarrowOneHot, EveryIndexOfEveryClassCount) {
  const std::string family = GetParam();
  for (std::int64_t classes : {1, 2, 11, 16, 37}) {
    RingTensor idx(Shape{classes});
    for (std::int64_t i = 0; i < classes; ++i) idx.data[static_cast<std::size_t>(i)] = static_cast<Ring>((i * 7) % classes);
    const Outcome o = run_op(family, false, idx, [&](Protocol& P, const Share& x) { return P.one_hot(x, classes); });
    const OpCost c = declared_of(family, [&](const Protocol& P) { return expected_composite(P, "one_hot", classes, MatDims{1, 1, classes, 1}); });
    expect_cost(o, c, ("one_hot " + std::to_string(classes)).c_str());
    ASSERT_EQ(o.out.size(), static_cast<std::size_t>(classes * classes));
    for (std::int64_t i = 0; i < classes; ++i)
      for (std::int64_t j = 0; j < classes; ++j)
        EXPECT_EQ(o.out[static_cast<std::size_t>(i * classes + j)], j == (i * 7) % classes ? 1u : 0u) << classes << " " << i << " " << j;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, NarrowOneHot, ::testing::Values("aby3", "semi2k", "plaintext"));

// A right operand prepared once serves several products: exact ring products, and the declared
// one-time and per-product costs equal the measured ones (online and the dealer's offline).
class FixedOperandProducts : public ::testing::TestWithParam<std::string> {};

TEST_P(FixedOperandProducts, ExactAndDeclared) {
  const std::string family = GetParam();
  const MatDims d{2, 3, 5, 4};
  sim::Rng rng = sim::RandomStreams(41).stream("w");
  RingTensor w(Shape{d.batch, d.k, d.n}), x1(Shape{d.batch, d.m, d.k}), x2(Shape{d.batch, d.m, d.k});
  for (auto* t : {&w, &x1, &x2})
    for (auto& v : t->data) v = rng() % 1000;
  std::vector<Ring> y1, y2;
  std::vector<CommStats> prep(3), prod(3);
  double prep_off = 0, prod_off = 0;
  OpCost declared_prep, declared_prod;
  run3(family, false, [&](Protocol& P) -> sim::Task<void> {
    Share W = co_await P.input(1, P.id() == 1 ? &w : nullptr, w.shape);
    Share X1 = co_await P.input(0, P.id() == 0 ? &x1 : nullptr, x1.shape);
    Share X2 = co_await P.input(0, P.id() == 0 ? &x2 : nullptr, x2.shape);
    const CommStats s0 = P.channel().stats(), o0 = offline_of(P.channel());
    FixedOperand op = co_await P.prepare_operand(W, d);
    const CommStats s1 = P.channel().stats(), o1 = offline_of(P.channel());
    Share Y1 = co_await P.matmul_operand(X1, op, d);
    const CommStats s2 = P.channel().stats(), o2 = offline_of(P.channel());
    Share Y2 = co_await P.matmul_operand(X2, op, d);
    const auto id = static_cast<std::size_t>(P.id());
    prep[id] = s1 - s0 - (o1 - o0);
    prod[id] = s2 - s1 - (o2 - o1);
    if (P.id() == 2) prep_off = static_cast<double>((o1 - o0).bytes_sent), prod_off = static_cast<double>((o2 - o1).bytes_sent);
    if (P.id() == 0) {
      declared_prep = op.prepared ? P.declared(Op::kPrepareOperand, d.batch * d.k * d.n) : P.declared(Op::kLocal, 0);
      declared_prod = P.declared(op.prepared ? Op::kMatmulOperand : Op::kMatmul, 0, d);
    }
    RingTensor r1 = co_await P.reveal(Y1);
    RingTensor r2 = co_await P.reveal(Y2);
    if (P.id() == 0) y1 = r1.data, y2 = r2.data;
  });
  EXPECT_EQ(y1, ring_matmul(x1.data.data(), w.data.data(), d.batch, d.m, d.k, d.n));
  EXPECT_EQ(y2, ring_matmul(x2.data.data(), w.data.data(), d.batch, d.m, d.k, d.n));
  for (std::size_t p = 0; p < 3; ++p) {
    EXPECT_EQ(prep[p].bytes_sent, static_cast<std::uint64_t>(declared_prep.bytes[p])) << p;
    EXPECT_EQ(prep[p].rounds, static_cast<std::uint64_t>(declared_prep.rounds[p])) << p;
    EXPECT_EQ(prod[p].bytes_sent, static_cast<std::uint64_t>(declared_prod.bytes[p])) << p;
    EXPECT_EQ(prod[p].rounds, static_cast<std::uint64_t>(declared_prod.rounds[p])) << p;
  }
  EXPECT_EQ(prep_off, declared_prep.offline_bytes);
  EXPECT_EQ(prod_off, declared_prod.offline_bytes);
  if (family == "semi2k") {  // each product opens only its left side
    EXPECT_EQ(prod[0].bytes_sent, static_cast<std::uint64_t>(8 * d.batch * d.m * d.k));
  }
}

INSTANTIATE_TEST_SUITE_P(Families, FixedOperandProducts, ::testing::Values("aby3", "semi2k", "plaintext"));

class QuickSelectTopK : public ::testing::TestWithParam<std::string> {};

TEST_P(QuickSelectTopK, FindsTheTopKSetAndDeclaresItsReveals) {
  const std::string family = GetParam();
  const std::int64_t rows = 4, cols = 50, k = 6;
  const std::vector<double> v = values(static_cast<std::size_t>(rows * cols), -30, 30, 13);
  const RingTensor in = encode({rows, cols}, v);
  std::vector<Ring> vals, idxs;
  std::vector<CommStats> costs(3);
  std::vector<std::int64_t> compared;
  std::vector<RevealRecord> log;
  run3(family, false, [&](Protocol& P) -> sim::Task<void> {
    Share x = co_await P.input(0, P.id() == 0 ? &in : nullptr, in.shape);
    const CommStats before = P.channel().stats(), off_before = offline_of(P.channel());
    Protocol::QuickSelect q = co_await P.topk_quickselect(x, rows, cols, k);
    costs[static_cast<std::size_t>(P.id())] = P.channel().stats() - before - (offline_of(P.channel()) - off_before);
    RingTensor rv = co_await P.reveal(q.values);
    RingTensor ri = co_await P.reveal(q.indices);
    if (P.id() == 0) vals = rv.data, idxs = ri.data, compared = q.compared, log = P.reveal_log();
  });
  const OpCost c = declared_of(family, [&](const Protocol& P) { return expected_quickselect(P, rows, cols, compared); });
  for (std::size_t p = 0; p < 3; ++p) {
    EXPECT_EQ(costs[p].rounds, static_cast<std::uint64_t>(c.rounds[p])) << p;
    EXPECT_EQ(static_cast<double>(costs[p].bytes_sent), c.bytes[p]) << p;
  }
  EXPECT_EQ(log.size(), compared.size() + 2);  // one reveal of comparison bits per level
  EXPECT_EQ(log.front().op, "quickselect comparison bits");
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(cols));
    for (std::int64_t i = 0; i < cols; ++i) order[static_cast<std::size_t>(i)] = i;
    std::sort(order.begin(), order.end(), [&](auto x, auto y) { return v[static_cast<std::size_t>(r * cols + x)] > v[static_cast<std::size_t>(r * cols + y)]; });
    std::vector<Ring> want(order.begin(), order.begin() + k), got(idxs.begin() + r * k, idxs.begin() + (r + 1) * k);
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << "row " << r;
    for (std::int64_t j = 0; j < k; ++j) {
      const auto col = static_cast<std::size_t>(idxs[static_cast<std::size_t>(r * k + j)]);
      EXPECT_EQ(vals[static_cast<std::size_t>(r * k + j)], in.data[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + col]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Families, QuickSelectTopK, ::testing::Values("aby3", "semi2k"));

TEST(Aby3Shuffle, IsAPermutationNoPartyChoseAlone) {
  const std::int64_t cols = 64;
  RingTensor in(Shape{1, 1, cols});
  for (std::int64_t c = 0; c < cols; ++c) in.data[static_cast<std::size_t>(c)] = static_cast<Ring>(c);
  std::vector<Ring> out;
  run3("aby3", false, [&](Protocol& P) -> sim::Task<void> {
    Share x = co_await P.input(0, P.id() == 0 ? &in : nullptr, in.shape);
    Share y = co_await P.shuffle_rows(x, 1, cols, 1);
    RingTensor r = co_await P.reveal(y);
    if (P.id() == 0) out = r.data;
  });
  std::vector<Ring> sorted = out;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, in.data);    // the same multiset
  EXPECT_NE(out, in.data);       // and not the identity (probability 1/64!)
}

INSTANTIATE_TEST_SUITE_P(Modes, Aby3Nonlinear, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? std::string("cost") : std::string("execute"); });

TEST(Reveals, EveryRevealIsLoggedAndNothingElse) {
  // A softmax reveals nothing; two explicit reveals are logged with their sizes only.
  std::vector<std::vector<RevealRecord>> logs(3);
  const RingTensor in = encode({2, 8}, values(16, -3, 3, 9));
  run3("aby3", false, [&](Protocol& P) -> sim::Task<void> {
    Share x = co_await P.input(0, P.id() == 0 ? &in : nullptr, in.shape);
    Share s = co_await P.softmax_rows(x, 2, 8);
    (void)co_await P.reveal(s);
    (void)co_await P.reveal(x);
    logs[static_cast<std::size_t>(P.id())] = P.reveal_log();
  });
  for (const auto& log : logs) {
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0].op, "reveal");
    EXPECT_EQ(log[0].elements, 16);
  }
}

TEST(PlaintextNonlinear, MatchesTheDefinitions) {
  const std::vector<double> v = {-2.5, 0, 3.25, -0.0001};
  const RingTensor in = encode({4}, v);
  const Outcome m = run_op("plaintext", false, in, [](Protocol& P, const Share& x) { return P.msb(x); });
  EXPECT_EQ(m.out, (std::vector<Ring>{1, 0, 0, 1}));
  const Outcome z = run_op("plaintext", false, in, [](Protocol& P, const Share& x) { return P.eqz(x); });
  EXPECT_EQ(z.out, (std::vector<Ring>{0, 1, 0, 0}));
}

class Semi2kNonlinear : public ::testing::TestWithParam<bool> {};

TEST_P(Semi2kNonlinear, MsbEqzAndASoftmaxOnTop) {
  const bool cost = GetParam();
  std::vector<double> v = values(100, -40, 40, 11);
  v[5] = 0;
  const RingTensor in = encode({100}, v);
  const Outcome m = run_op("semi2k", cost, in, [](Protocol& P, const Share& x) { return P.msb(x); });
  expect_cost(m, declared_of("semi2k", [](const Protocol& P) { return P.declared(Op::kMsb, 100); }), "msb");
  const Outcome z = run_op("semi2k", cost, in, [](Protocol& P, const Share& x) { return P.eqz(x); });
  expect_cost(z, declared_of("semi2k", [](const Protocol& P) { return P.declared(Op::kEqz, 100); }), "eqz");
  const RingTensor rows = encode({4, 25}, values(100, -5, 5, 12));
  const Outcome sm = run_op("semi2k", cost, rows, [](Protocol& P, const Share& x) { return P.softmax_rows(x, 4, 25); });
  expect_cost(sm, declared_of("semi2k", [](const Protocol& P) { return expected_composite(P, "softmax_rows", 4, MatDims{1, 1, 25, 1}); }),
              "softmax");
  if (cost) return;
  for (std::size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(m.out[i], in.data[i] >> 63 ? 1u : 0u) << i;
    EXPECT_EQ(z.out[i], in.data[i] == 0 ? 1u : 0u) << i;
  }
  double row0 = 0;
  for (int c = 0; c < 25; ++c) row0 += decode_fixed(sm.out[static_cast<std::size_t>(c)]);
  EXPECT_NEAR(row0, 1.0, 0.02);
}

INSTANTIATE_TEST_SUITE_P(Modes, Semi2kNonlinear, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? std::string("cost") : std::string("execute"); });

}  // namespace
}  // namespace kvsim::protocols

namespace kvsim::protocols {
namespace {

TEST(Secrets, TheTimelineRecordsTagsAndSizesNeverValues) {
  // What a run can write to results: the timeline's labels are op tags (or "compute", a party's
  // local work), its numbers byte counts.
  sim::Engine e(3);
  e.timeline().keep_spans(true);
  SimNetwork net(e, 3, catalog().link("lan-bumblebee"), catalog().host("xeon-server"));
  std::vector<std::unique_ptr<Protocol>> ps;
  for (int p = 0; p < 3; ++p) ps.push_back(make_protocol("aby3", net.channel(p), 3));
  const RingTensor secret = encode({8}, std::vector<double>(8, 1234.5));
  auto program = [&](Protocol& P) -> sim::Task<void> {
    Share x = co_await P.input(0, P.id() == 0 ? &secret : nullptr, secret.shape);
    Share y = co_await P.mul_fixed(x, x);
    (void)co_await P.msb(y);
  };
  for (int p = 0; p < 3; ++p) e.spawn(program(*ps[static_cast<std::size_t>(p)]), "P" + std::to_string(p));
  e.run();
  const std::set<std::string> tags = {"input", "mul", "trunc", "msb", "reveal"};
  ASSERT_FALSE(e.timeline().spans().empty());
  int compute = 0;
  for (const sim::Span& s : e.timeline().spans()) {
    const std::string& resource = e.timeline().name(s.resource);
    if (resource.ends_with("/cpu")) {
      EXPECT_EQ(e.timeline().name(s.label), "compute");
      EXPECT_EQ(s.bytes, 0u);
      ++compute;
      continue;
    }
    EXPECT_TRUE(tags.count(e.timeline().name(s.label))) << e.timeline().name(s.label);
    EXPECT_EQ(s.bytes % 8, 0u);
  }
  EXPECT_GT(compute, 0);  // every party's local work is on the timeline
}

}  // namespace
}  // namespace kvsim::protocols
