// protocols/composite.cpp — non-linear ops written once on top of each family's primitives.
#include <bit>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "protocols/protocol.h"
#include "protocols/share_layout.h"

namespace kvsim::protocols {

namespace {
// Plane i (n elements) of a (planes, n) share, as (n, 1).
Share slice_plane(const Share& planes, int i, std::int64_t n) {
  Share out{Shape{n, 1}, {}, {}, planes.cost_only};
  if (!has_data(planes)) return out;
  const auto from = static_cast<std::ptrdiff_t>(i) * n, to = from + n;
  out.s0.assign(planes.s0.begin() + from, planes.s0.begin() + to);
  if (!planes.s1.empty()) out.s1.assign(planes.s1.begin() + from, planes.s1.begin() + to);
  return out;
}
// (rows, cols) a and b -> (rows, 2 cols) with a's column c at 2c and b's at 2c + 1.
Share interleave_cols(const Share& a, const Share& b, std::int64_t rows, std::int64_t cols) {
  Share out{Shape{rows, 2 * cols}, {}, {}, a.cost_only};
  if (!has_data(a)) return out;
  auto weave = [&](const std::vector<Ring>& x, const std::vector<Ring>& y, std::vector<Ring>& o) {
    if (x.empty()) return;
    o.resize(static_cast<std::size_t>(2 * rows * cols));
    for (std::size_t i = 0; i < x.size(); ++i) {
      o[2 * i] = x[i];
      o[2 * i + 1] = y[i];
    }
  };
  weave(a.s0, b.s0, out.s0);
  weave(a.s1, b.s1, out.s1);
  return out;
}
}  // namespace

int index_bits(std::int64_t classes) { return static_cast<int>(std::bit_width(static_cast<std::uint64_t>(classes - 1))); }

Share Protocol::exact_trunc_input(const Share& a) const {
  RingTensor offset(a.shape);
  for (auto& v : offset.data) v = static_cast<Ring>(1) << 62;
  return add_public(a, offset);
}

Share Protocol::exact_trunc_finish(const Share& shifted, const Share& bits, int f) const {
  const std::int64_t n = shifted.size();
  Share c{shifted.shape, {}, {}, bits.cost_only}, w{shifted.shape, {}, {}, bits.cost_only};
  if (has_data(bits)) {
    const auto half = static_cast<std::ptrdiff_t>(n);
    c.s0.assign(bits.s0.begin(), bits.s0.begin() + half);
    w.s0.assign(bits.s0.begin() + half, bits.s0.end());
    if (!bits.s1.empty()) {
      c.s1.assign(bits.s1.begin(), bits.s1.begin() + half);
      w.s1.assign(bits.s1.begin() + half, bits.s1.end());
    }
  }
  RingTensor back(shifted.shape);
  for (auto& v : back.data) v = static_cast<Ring>(0) - (static_cast<Ring>(1) << (62 - f));
  return add_public(sub(add(shifted, c), mul_public(w, static_cast<Ring>(1) << (64 - f))), back);
}

sim::Task<Share> Protocol::less_than(const Share& a, const Share& b) {
  const Share diff = sub(a, b);
  Share bit = co_await msb(diff);
  co_return bit;
}

sim::Task<Share> Protocol::select(const Share& bit, const Share& x, const Share& y) {
  // y + bit (x - y): bit is an integer 0/1, so the product needs no truncation.
  const Share diff = sub(x, y);
  Share picked = co_await mul(bit, diff);
  co_return add(y, picked);
}

sim::Task<Share> Protocol::max_rows(const Share& a, std::int64_t rows, std::int64_t cols) {
  Share cur = a;
  std::int64_t width = cols;
  while (width > 1) {
    // Pair columns (0,1), (2,3), ...; an odd last column passes through.
    const std::int64_t pairs = width / 2;
    const Share left = gather_cols(cur, rows, width, 0, 2, pairs), right = gather_cols(cur, rows, width, 1, 2, pairs);
    const Share lt = co_await less_than(left, right);
    Share winners = co_await select(lt, right, left);
    if (width % 2) {
      const Share last = gather_cols(cur, rows, width, width - 1, 1, 1);
      Share merged{Shape{rows, pairs + 1}, {}, {}, cur.cost_only};
      if (has_data(cur)) {
        for (std::int64_t r = 0; r < rows; ++r) {
          for (std::int64_t c = 0; c < pairs; ++c) {
            merged.s0.push_back(winners.s0[static_cast<std::size_t>(r * pairs + c)]);
            if (!winners.s1.empty()) merged.s1.push_back(winners.s1[static_cast<std::size_t>(r * pairs + c)]);
          }
          merged.s0.push_back(last.s0[static_cast<std::size_t>(r)]);
          if (!last.s1.empty()) merged.s1.push_back(last.s1[static_cast<std::size_t>(r)]);
        }
      }
      winners = std::move(merged);
    }
    cur = std::move(winners);
    width = (width + 1) / 2;
  }
  cur.shape = Shape{rows, 1};
  co_return cur;
}

sim::Task<Share> Protocol::exp(const Share& a) {
  // (1 + x / 2^t)^(2^t): x / 2^t is a free shift of the fixed-point encoding by t more bits.
  Share y = co_await trunc(a, kExpIterations);
  y = add_constant(y, encode_fixed(1.0, frac_bits_));
  for (int i = 0; i < kExpIterations; ++i) {
    Share sq = co_await mul_fixed(y, y);
    y = std::move(sq);
  }
  co_return y;
}

int Protocol::reciprocal_iterations(double max_value) const {
  // From y0 = 1 / max, the error e = 1 - x y squares each step: e_k = (1 - x / max)^(2^k)
  // <= exp(-2^k / max); reaching 2^-(f+2) needs 2^k >= max (f + 2) ln 2.
  const double need = std::max(1.0, max_value) * (frac_bits_ + 2) * std::log(2.0);
  return static_cast<int>(std::ceil(std::log2(need))) + 1;
}

sim::Task<Share> Protocol::reciprocal(const Share& a, double max_value) {
  if (!(max_value >= 1)) throw std::invalid_argument("reciprocal: the public bound must be at least 1");
  // Goldschmidt: y_0 = 1 / max, e_0 = 1 - x y_0; then y <- y (1 + e) and e <- e^2, the two
  // products independent, so each iteration is one round of multiplications (batched) plus
  // truncation. Instead of normalizing x to [0.5, 1) with a bit decomposition, the initial
  // guess uses the public bound (softmax denominators lie in [1, row length]).
  const RingTensor one = filled(a.shape, encode_fixed(1.0, frac_bits_));
  Share y = add_constant(sub(a, a), encode_fixed(1.0 / max_value, frac_bits_));
  Share xy = co_await mul_fixed(a, y);
  Share e = add_public(mul_public(xy, static_cast<Ring>(-1)), one);
  const int iters = reciprocal_iterations(max_value);
  const std::int64_t n = a.size();
  for (int i = 0; i < iters; ++i) {
    const Share one_plus_e = add_public(e, one);
    // [y, e] * [1 + e, e] in one multiplication.
    Share lhs{Shape{2 * n}, y.s0, y.s1, y.cost_only}, rhs{Shape{2 * n}, one_plus_e.s0, one_plus_e.s1, y.cost_only};
    if (has_data(y)) {
      lhs.s0.insert(lhs.s0.end(), e.s0.begin(), e.s0.end());
      lhs.s1.insert(lhs.s1.end(), e.s1.begin(), e.s1.end());
      rhs.s0.insert(rhs.s0.end(), e.s0.begin(), e.s0.end());
      rhs.s1.insert(rhs.s1.end(), e.s1.begin(), e.s1.end());
    }
    const Share both = co_await mul_fixed(lhs, rhs);
    Share ny{a.shape, {}, {}, a.cost_only}, ne{a.shape, {}, {}, a.cost_only};
    if (has_data(both)) {
      const auto half = static_cast<std::ptrdiff_t>(n);
      ny.s0.assign(both.s0.begin(), both.s0.begin() + half);
      ne.s0.assign(both.s0.begin() + half, both.s0.end());
      if (!both.s1.empty()) {
        ny.s1.assign(both.s1.begin(), both.s1.begin() + half);
        ne.s1.assign(both.s1.begin() + half, both.s1.end());
      }
    }
    y = std::move(ny);
    e = std::move(ne);
  }
  co_return y;
}

sim::Task<Share> Protocol::softmax_rows(const Share& a, std::int64_t rows, std::int64_t cols) {
  const Share mx = co_await max_rows(a, rows, cols);
  const Share shifted = sub(a, broadcast_cols(mx, rows, cols));
  // b = (x > -14) = 1 - msb(x + 14)
  const Share plus14 = add_constant(shifted, encode_fixed(14.0, frac_bits_));
  const Share neg = co_await msb(plus14);
  const Share keep = not_bit(neg);  // a 1-bit boolean share in aby3-spu: the mask product is MulA1B
  const Share e = co_await exp(shifted);
  const Share masked = co_await mul(keep, e);  // integer mask: no truncation
  const Share denom = sum_cols(masked, rows, cols);
  const Share inv = co_await reciprocal(denom, static_cast<double>(cols));
  const Share inv_wide = broadcast_cols(inv, rows, cols);  // named: see docs/architecture.md (GCC 12)
  Share out = co_await mul_fixed(masked, inv_wide);
  co_return out;
}

sim::Task<Share> Protocol::one_hot(const Share& idx, std::int64_t classes) {
  if (classes < 1) throw std::invalid_argument("one_hot: classes must be positive");
  const std::int64_t n = idx.size();
  const int b = index_bits(classes);
  if (b == 0) {  // one class: every index is 0
    const Share zero = mul_public(gather_cols(idx, n, 1, 0, 1, 1), 0);  // (n, 1), whatever idx's shape
    co_return add_constant(zero, 1);
  }
  const Share bits = co_await low_bits(idx, b);  // (b, n), bit 0 first
  // Level 0 (local): classes by the top bit, (n, 2) = [1 - bit, bit].
  const Share top = slice_plane(bits, b - 1, n);
  const Share not_top = add_constant(mul_public(top, static_cast<Ring>(-1)), 1);
  Share cur = interleave_cols(not_top, top, n, 1);
  std::int64_t m = 2;
  for (int i = b - 2; i >= 0; --i) {
    // Each class prefix splits by bit i: prefix * bit (the 1 child) and prefix - that (the 0 child).
    const Share bit = slice_plane(bits, i, n);
    const Share wide = broadcast_cols(bit, n, m);  // named: see docs/architecture.md (GCC 12)
    const Share prod = co_await mul(cur, wide);
    const Share rest = sub(cur, prod);
    cur = interleave_cols(rest, prod, n, m);
    m *= 2;
  }
  co_return gather_cols(cur, n, m, 0, 1, classes);
}

sim::Task<Share> Protocol::argmax_index(const Share& a, std::int64_t rows, std::int64_t cols) {
  const Share hot = co_await argmax_rows(a, rows, cols);
  // The index is the one-hot's dot product with the public column numbers: local.
  Share out{Shape{rows}, {}, {}, hot.cost_only};
  if (has_data(hot)) {
    out.s0.assign(static_cast<std::size_t>(rows), 0);
    if (!hot.s1.empty()) out.s1.assign(static_cast<std::size_t>(rows), 0);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) {
        const auto i = static_cast<std::size_t>(r * cols + c);
        out.s0[static_cast<std::size_t>(r)] += hot.s0[i] * static_cast<Ring>(c);
        if (!hot.s1.empty()) out.s1[static_cast<std::size_t>(r)] += hot.s1[i] * static_cast<Ring>(c);
      }
  }
  co_return out;
}

sim::Task<Share> Protocol::slice_mask(const Share& idx, std::int64_t classes) {
  Share out = co_await one_hot(idx, classes);
  co_return out;
}

}  // namespace kvsim::protocols
