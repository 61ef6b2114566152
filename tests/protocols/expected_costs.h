// tests/protocols/expected_costs.h — what each composite op must cost, derived by hand from the
// primitives it is built of (the library's composites declare nothing: their Meter sums what
// their primitives record). A test comparing the channel's measurement with these formulas
// checks that a composite makes exactly the primitive calls, of exactly the sizes, it should.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/protocol.h"

namespace kvsim::protocols {

inline OpCost times(OpCost a, int k) {
  for (std::size_t p = 0; p < a.rounds.size(); ++p) {
    a.rounds[p] *= k;
    a.bytes[p] *= k;
  }
  a.offline_bytes *= k;
  return a;
}

// n rows and d.k columns for the row-wise ops (max_rows, argmax_rows, topk_rows, softmax_rows),
// d.k = max_value for reciprocal and rsqrt, d.k classes for one_hot; n elements otherwise.
inline OpCost expected_composite(const Protocol& P, std::string_view op, std::int64_t n, MatDims d = {}) {
  if (op == "less_than") return P.declared(Op::kMsb, n);
  if (op == "select") return P.declared(Op::kMul, n);
  if (op == "exp") return P.declared(Op::kTrunc, n) + times(P.declared(Op::kMul, n) + P.declared(Op::kTrunc, n), Protocol::kExpIterations);
  if (op == "reciprocal") {
    const int it = P.reciprocal_iterations(static_cast<double>(d.k));
    return P.declared(Op::kMul, n) + P.declared(Op::kTrunc, n) + times(P.declared(Op::kMul, 2 * n) + P.declared(Op::kTrunc, 2 * n), it);
  }
  if (op == "max_rows") {
    OpCost c;
    for (std::int64_t width = d.k; width > 1; width = (width + 1) / 2) {
      const std::int64_t m = n * (width / 2);
      c = c + P.declared(Op::kMsb, m) + P.declared(Op::kMul, m);
    }
    if (c.rounds.empty()) c = P.declared(Op::kLocal, 0);
    return c;
  }
  if (op == "softmax_rows") {
    const std::int64_t cols = d.k, all = n * cols;
    return expected_composite(P, "max_rows", n, d) + P.declared(Op::kMsb, all) + expected_composite(P, "exp", all) +
           P.declared(Op::kMul, all) + expected_composite(P, "reciprocal", n, MatDims{1, 1, cols, 1}) + P.declared(Op::kMul, all) +
           P.declared(Op::kTrunc, all);
  }
  if (op == "one_hot") {
    const int b = index_bits(d.k);
    OpCost c = P.declared(Op::kLocal, n);  // zero: one class is local
    if (b == 0) return c;
    c = c + P.declared(Op::kToBoolean, n) + P.declared(Op::kBitToArithmetic, b * n);
    for (int level = 1; level < b; ++level) c = c + P.declared(Op::kMul, n << level);
    return c;
  }
  if (op == "rsqrt") {
    const int it = P.reciprocal_iterations(static_cast<double>(d.k));
    return times(times(P.declared(Op::kMul, n) + P.declared(Op::kTrunc, n), 3) + P.declared(Op::kTrunc, n), it);
  }
  if (op == "argmax_rows") {
    const std::int64_t all = n * d.k;
    OpCost c = expected_composite(P, "max_rows", n, d) + P.declared(Op::kEqz, all) + P.declared(Op::kMul, all);
    for (std::int64_t col = 1; col < d.k; ++col) c = c + P.declared(Op::kMul, n);
    return c;
  }
  if (op == "topk_rows") {
    std::int64_t width = 1;
    while (width < d.k) width <<= 1;
    OpCost c;
    for (std::int64_t kk = 2; kk <= width; kk <<= 1)
      for (std::int64_t j = kk >> 1; j > 0; j >>= 1) c = c + P.declared(Op::kMsb, n * width / 2) + P.declared(Op::kMul, n * width);
    if (c.rounds.empty()) c = P.declared(Op::kLocal, 0);
    return c;
  }
  if (op == "silu" || op == "gelu") {
    const std::size_t breaks = op == "silu" ? 3 : 4, polys = breaks - 1, maxdeg = 6;
    OpCost c = P.declared(Op::kMsb, n * static_cast<std::int64_t>(breaks));
    c = c + times(P.declared(Op::kMul, n) + P.declared(Op::kTrunc, n), static_cast<int>(maxdeg - 1));
    c = c + times(P.declared(Op::kTrunc, n), static_cast<int>(polys));
    return c + times(P.declared(Op::kMul, n), static_cast<int>(breaks));
  }
  throw std::invalid_argument("no declared composite cost for '" + std::string(op) + "'");
}

// QuickSelect: the shuffle of values with their indices, then per partition level the
// comparisons against the pivots (msb), their revealed bits and the helpers' copy of them.
inline OpCost expected_quickselect(const Protocol& P, std::int64_t rows, std::int64_t cols,
                                   const std::vector<std::int64_t>& compared) {
  OpCost c = P.declared(Op::kShuffle, rows * 2 * cols);
  for (std::int64_t m : compared) c = c + P.declared(Op::kMsb, m) + P.declared(Op::kReveal, m) + P.declared(Op::kSharePublic, m);
  return c;
}

}  // namespace kvsim::protocols
