// protocols/activations.cpp — piecewise-polynomial activations, rsqrt and argmax, written once.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "protocols/protocol.h"

namespace kvsim::protocols {

namespace {

Share concat_all(const std::vector<Share>& parts) {
  Share out;
  std::int64_t n = 0;
  for (const auto& p : parts) {
    n += p.size();
    out.cost_only = out.cost_only || p.cost_only;
    out.s0.insert(out.s0.end(), p.s0.begin(), p.s0.end());
    out.s1.insert(out.s1.end(), p.s1.begin(), p.s1.end());
  }
  out.shape = Shape{n};
  if (out.cost_only || std::any_of(parts.begin(), parts.end(), [](const Share& p) { return !has_data(p); }))
    out.s0.clear(), out.s1.clear();
  return out;
}

Share part(const Share& a, std::int64_t index, std::int64_t n, const Shape& shape) {
  Share out{shape, {}, {}, a.cost_only};
  out.bits = a.bits;  // a comparison's bits stay boolean where the family types them
  if (!has_data(a)) return out;
  const auto from = static_cast<std::ptrdiff_t>(index * n), to = static_cast<std::ptrdiff_t>((index + 1) * n);
  out.s0.assign(a.s0.begin() + from, a.s0.begin() + to);
  if (!a.s1.empty()) out.s1.assign(a.s1.begin() + from, a.s1.begin() + to);
  return out;
}

std::size_t max_degree(const std::vector<std::vector<double>>& polys) {
  std::size_t d = 1;
  for (const auto& p : polys) d = std::max(d, p.size() - 1);
  return d;
}

// From the GeLU fit of tools/mpc/fit_gelu.py (highest degree first).
const std::vector<double> kGeluBreaks = {-4.0, -1.95, 1.0, 3.0};
const std::vector<std::vector<double>> kGeluPolys = {
    {-1.0940046117956643e-02, -1.1696643157385964e-01, -4.1836572651372789e-01, -5.0154057038729849e-01},
    {2.7484099443248807e-03, -5.5722192680727617e-03, -5.8188080043236119e-02, 6.7259162291872440e-03,
     3.9605663614257253e-01, 4.9844947423782127e-01, 1.8234958202575924e-04},
    {1.8158071695150418e-02, -1.5412550439986009e-01, 4.3496177881827092e-01, 6.1565169697810807e-01,
     -7.4176651344015188e-02}};
// MPCache's SiLU (../shared/briefs/mpc-costs.md §2.1).
const std::vector<double> kSiluBreaks = {-8.0, -4.0, 4.0};
const std::vector<std::vector<double>> kSiluPolys = {
    {-0.0055465625580307, -0.0819767021525476, -0.3067541139982155},
    {0.0002743776353465, 0.0, -0.011113046708173, 0.0, 0.2281430841728270, 0.5, 0.0085064025895951}};

}  // namespace

sim::Task<Share> Protocol::piecewise(const Share& x, const std::vector<double>& breaks,
                                     const std::vector<std::vector<double>>& polys) {
  if (polys.size() + 1 != breaks.size()) throw std::invalid_argument("piecewise: need one polynomial between consecutive breaks");
  const std::int64_t n = x.size();
  // All comparisons in one batch: bit_j = x < breaks[j].
  std::vector<Share> shifted;
  for (double b : breaks) shifted.push_back(add_constant(x, encode_fixed(-b, frac_bits_)));
  const Share all_shifted = concat_all(shifted);
  const Share bits = co_await msb(all_shifted);
  // Powers x^1 .. x^d.
  std::vector<Share> pw{x};
  for (std::size_t k = 2; k <= max_degree(polys); ++k) {
    Share next = co_await mul_fixed(pw.back(), x);
    pw.push_back(std::move(next));
  }
  // Each polynomial: public coefficients times powers (2f fractional bits), one truncation.
  std::vector<Share> values;
  for (const auto& poly : polys) {
    const std::size_t deg = poly.size() - 1;
    Share acc = sub(x, x);
    acc = add_constant(acc, encode_fixed(poly[deg], 2 * frac_bits_));
    for (std::size_t k = 1; k <= deg; ++k) acc = add(acc, mul_public(pw[k - 1], encode_fixed(poly[deg - k], frac_bits_)));
    Share v = co_await trunc(acc, frac_bits_);
    values.push_back(std::move(v));
  }
  // From the top: identity above the last break, then each piece, then zero below the first.
  Share r = x;
  for (std::size_t j = breaks.size(); j-- > 1;) {
    const Share bit = part(bits, static_cast<std::int64_t>(j), n, x.shape);
    Share chosen = co_await select(bit, values[j - 1], r);
    r = std::move(chosen);
  }
  const Share below = part(bits, 0, n, x.shape);
  const Share zero = sub(x, x);
  Share out = co_await select(below, zero, r);
  co_return out;
}

sim::Task<Share> Protocol::silu(const Share& a) {
  Share out = co_await piecewise(a, kSiluBreaks, kSiluPolys);
  co_return out;
}

sim::Task<Share> Protocol::gelu(const Share& a) {
  Share out = co_await piecewise(a, kGeluBreaks, kGeluPolys);
  co_return out;
}

sim::Task<Share> Protocol::rsqrt(const Share& a, double max_value) {
  if (!(max_value >= 1)) throw std::invalid_argument("rsqrt: the public bound must be at least 1");
  // y <- y (3 - x y^2) / 2: converges from y0 <= 1/sqrt(x); the error shrinks like reciprocal's.
  const RingTensor three = filled(a.shape, encode_fixed(3.0, frac_bits_));
  Share y = add_constant(sub(a, a), encode_fixed(1.0 / std::sqrt(max_value), frac_bits_));
  const int iters = reciprocal_iterations(max_value);
  for (int i = 0; i < iters; ++i) {
    Share y2 = co_await mul_fixed(y, y);
    Share xy2 = co_await mul_fixed(a, y2);
    const Share t = add_public(mul_public(xy2, static_cast<Ring>(-1)), three);
    Share ny = co_await mul_fixed(y, t);
    Share half = co_await trunc(ny, 1);
    y = std::move(half);
  }
  co_return y;
}

sim::Task<Share> Protocol::argmax_rows(const Share& a, std::int64_t rows, std::int64_t cols) {
  // x_j is the max iff it is >= every other: count the columns strictly greater than x_j with
  // pairwise comparisons, then one-hot the first column with a zero count.
  const Share mx = co_await max_rows(a, rows, cols);
  Share wide{a.shape, {}, {}, a.cost_only};
  const bool data = has_data(a);
  if (data) {
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) {
        wide.s0.push_back(mx.s0[static_cast<std::size_t>(r)]);
        if (!mx.s1.empty()) wide.s1.push_back(mx.s1[static_cast<std::size_t>(r)]);
      }
  }
  const Share diff = sub(a, wide);
  const Share eq = co_await eqz(diff);
  Share is_max = co_await arith_bit(eq);  // 1 where x_j == max (possibly several)
  // Keep the first: prefix "seen" = is_max OR earlier seen; first = is_max AND NOT seen_before.
  Share seen_before{a.shape, {}, {}, a.cost_only};
  Share first = is_max;
  if (data) {
    seen_before.s0.assign(is_max.s0.size(), 0);
    if (!is_max.s1.empty()) seen_before.s1.assign(is_max.s1.size(), 0);
  }
  for (std::int64_t c = 1; c < cols; ++c) {
    // seen(c) = seen(c-1) + is_max(c-1) - seen(c-1) is_max(c-1), computed column by column.
    Share prev_seen{Shape{rows}, {}, {}, a.cost_only}, prev_max{Shape{rows}, {}, {}, a.cost_only};
    if (data) {
      for (std::int64_t r = 0; r < rows; ++r) {
        const auto i = static_cast<std::size_t>(r * cols + c - 1);
        prev_seen.s0.push_back(seen_before.s0[i]);
        prev_max.s0.push_back(is_max.s0[i]);
        if (!is_max.s1.empty()) {
          prev_seen.s1.push_back(seen_before.s1[i]);
          prev_max.s1.push_back(is_max.s1[i]);
        }
      }
    }
    const Share both = co_await mul(prev_seen, prev_max);
    const Share seen = sub(add(prev_seen, prev_max), both);
    if (data)
      for (std::int64_t r = 0; r < rows; ++r) {
        const auto i = static_cast<std::size_t>(r * cols + c);
        seen_before.s0[i] = seen.s0[static_cast<std::size_t>(r)];
        if (!seen.s1.empty()) seen_before.s1[i] = seen.s1[static_cast<std::size_t>(r)];
      }
  }
  const Share overlap = co_await mul(is_max, seen_before);
  first = sub(is_max, overlap);
  co_return first;
}

}  // namespace kvsim::protocols
