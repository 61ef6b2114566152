// protocols/aby3_spu/recipes.cpp — the composites SPU computes differently from kvsim's aby3,
// in SPU 0.9.1's recipes (libspu/kernel/hal/fxp_approx.cc, fxp_base.cc, indexing.cc,
// reduce.cc), on the public primitives (each records its own cost).
//
// Every recipe runs its ops one after another, as SPU's interpreter does with inter-op
// parallelism off; the brief (../shared/briefs/mpcache-spu.md §4) gives the per-element costs
// the tests compare with.
#include <bit>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "protocols/aby3_spu/aby3_spu.h"
#include "protocols/boolean_words.h"
#include "protocols/share_layout.h"

namespace kvsim::protocols {

namespace {

// (rows, cols) a with (rows, 1) b appended as a last column.
Share append_col(const Share& a, const Share& b, std::int64_t rows, std::int64_t cols) {
  Share out{Shape{rows, cols + 1}, {}, {}, a.cost_only || b.cost_only};
  if (!has_data(a) || !has_data(b)) return out;
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto at = static_cast<std::ptrdiff_t>(r * cols);
    out.s0.insert(out.s0.end(), a.s0.begin() + at, a.s0.begin() + at + cols);
    out.s0.push_back(b.s0[static_cast<std::size_t>(r)]);
    if (!a.s1.empty()) {
      out.s1.insert(out.s1.end(), a.s1.begin() + at, a.s1.begin() + at + cols);
      out.s1.push_back(b.s1[static_cast<std::size_t>(r)]);
    }
  }
  return out;
}

// Chebyshev coefficients of tanh(5 t) on [-1, 1] for the odd T_1, T_3, .., T_17 (nine terms,
// SPU's tanh_chebyshev on x / 5 after clamping x to [-5, 5]; max error 4.5e-3), from 128
// Gauss-Chebyshev nodes.
const std::vector<double>& tanh_chebyshev_coefficients() {
  static const std::vector<double> c = [] {
    constexpr int kTerms = 9, kNodes = 128;
    std::vector<double> out;
    for (int t = 0; t < kTerms; ++t) {
      const int k = 2 * t + 1;
      double s = 0;
      for (int j = 0; j < kNodes; ++j) {
        const double th = std::numbers::pi * (j + 0.5) / kNodes;
        s += std::tanh(5.0 * std::cos(th)) * std::cos(k * th);
      }
      out.push_back(2.0 * s / kNodes);
    }
    return out;
  }();
  return c;
}

}  // namespace

Share Aby3Spu::and_public(const Share& b, Ring mask) const {
  Share out = b;
  for (auto& v : out.s0) v &= mask;
  for (auto& v : out.s1) v &= mask;
  return out;
}

Share Aby3Spu::shift_right_bits(const Share& b, int k) const {
  Share out = b;
  for (auto& v : out.s0) v >>= k;
  for (auto& v : out.s1) v >>= k;
  return out;
}

Share Aby3Spu::bit_reverse(const Share& b, int start, int end) const {
  // Bits [start, end) reversed in place, the others kept (SPU's bitrev; linear over XOR).
  auto rev = [start, end](Ring v) {
    Ring out = v;
    for (int i = start; i < end; ++i) {
      const int j = start + end - 1 - i;
      out = (out & ~(static_cast<Ring>(1) << j)) | (((v >> i) & 1) << j);
    }
    return out;
  };
  return map_words(b, rev);
}

sim::Task<Share> Aby3Spu::highest_one_bit(const Share& x) {
  // prefix_or: y |= y >> 2^i for i < 6 (a | b = a ^ b ^ (a & b): one 64-bit AND per level), then
  // y ^ (y >> 1) leaves the top set bit. For x > 0.
  Share y = co_await to_boolean(x);
  for (int s = 1; s < 64; s *= 2) {
    const Share shifted = shift_right_bits(y, s);
    const Share both = co_await and_bits(y, shifted);
    y = typed(xor_words(xor_words(y, shifted), both), 64);
  }
  co_return typed(xor_words(y, shift_right_bits(y, 1)), 64);
}

sim::Task<Share> Aby3Spu::exp2_of(const Share& x) {
  // exp2 for |x| < 32: the integer part from x's bits (A2B), the fraction x - floor(x) as
  // arithmetic (a B2A of the integer bits), 2^frac by the degree-5 polynomial SPU calls Pade,
  // then one product per integer bit (2^(2^i) or 1), and for x < 0 (integer bits of
  // floor(x) + 32) a truncation by 32 bits, chosen by the sign bit (MulA1B).
  const int f = frac_bits_;
  const Share xb = co_await to_boolean(x);
  const Share sign = typed(and_public(shift_right_bits(xb, 63), 1), 1);
  const Share int_bits = typed(and_public(xb, ~((static_cast<Ring>(1) << f) - 1)), 64);
  const Share int_part = co_await to_arithmetic(int_bits);
  const Share frac = sub(x, int_part);
  Share x2 = co_await mul_fixed(frac, frac);
  Share x3 = co_await mul_fixed(frac, x2);
  Share x4 = co_await mul_fixed(x2, x2);
  Share x5 = co_await mul_fixed(x2, x3);
  constexpr double kP[] = {1.0, 0.69314718056, 0.24022650695, 0.055504108665, 0.0096181291076, 0.0013333558146};
  const std::vector<const Share*> powers = {&frac, &x2, &x3, &x4, &x5};
  Share acc = add_constant(sub(x, x), encode_fixed(kP[0], 2 * f));
  for (std::size_t i = 0; i < powers.size(); ++i) acc = add(acc, mul_public(*powers[i], encode_fixed(kP[i + 1], f)));
  Share ret = co_await trunc(acc, f);
  for (int i = 0; i < 5; ++i) {
    const Share bit = typed(and_public(shift_right_bits(xb, f + i), 1), 1);
    const Share a = co_await to_arithmetic(bit);
    const Ring k = static_cast<Ring>(1) << (1 << i);
    const Share factor = add_constant(mul_public(a, k - 1), 1);  // a ? 2^(2^i) : 1
    Share next = co_await mul(ret, factor);
    ret = std::move(next);
  }
  Share negative = co_await trunc(ret, 32);
  Share out = co_await select(sign, negative, ret);
  co_return out;
}

sim::Task<Share> Aby3Spu::exp(const Share& a) {
  // f_exp, EXP_PADE: clamp to +-32 / log2(e), then exp2(x log2(e)).
  const double limit = 32.0 / std::log2(std::numbers::e);
  const Share lo = add_constant(sub(a, a), encode_fixed(-limit, frac_bits_));
  const Share hi = add_constant(sub(a, a), encode_fixed(limit, frac_bits_));
  const Share below = co_await less_than(a, lo);
  Share x = co_await select(below, lo, a);
  const Share above = co_await less_than(hi, x);
  Share clamped = co_await select(above, hi, x);
  const Share times_log2e = mul_public(clamped, encode_fixed(std::log2(std::numbers::e), frac_bits_));
  Share scaled = co_await trunc(times_log2e, frac_bits_);
  Share out = co_await exp2_of(scaled);
  co_return out;
}

sim::Task<Share> Aby3Spu::reciprocal(const Share& a, double max_value) {
  // Goldschmidt after normalization (reciprocal_goldschmidt_positive): factor = the reversed
  // top bit over [0, 2f), so that c = x factor lies in [0.5, 1); r = 2.9142 - 2c; two
  // iterations r <- r (1 + e), e <- e^2 (the last skipped); 1/x = r factor. For 0 < x < 2^f.
  if (!(max_value < std::ldexp(1.0, frac_bits_)))
    throw std::invalid_argument("aby3-spu reciprocal: the input must stay below 2^frac_bits");
  const int f = frac_bits_;
  const Share top = co_await highest_one_bit(a);
  const Share reversed = typed(bit_reverse(top, 0, 2 * f), 2 * f);
  const Share factor = co_await to_arithmetic(reversed);
  Share c = co_await mul_fixed(a, factor);
  const RingTensor one = filled(a.shape, encode_fixed(1.0, f));
  Share r = add_constant(mul_public(c, static_cast<Ring>(-2)), encode_fixed(2.9142, f));
  Share cr = co_await mul_fixed(c, r);
  Share e = add_public(mul_public(cr, static_cast<Ring>(-1)), one);
  constexpr int kIterations = 2;  // SPU's fxp_div_goldschmidt_iters default
  for (int i = 0; i < kIterations; ++i) {
    const Share one_plus_e = add_public(e, one);
    Share next = co_await mul_fixed(r, one_plus_e);
    r = std::move(next);
    if (i + 1 < kIterations) {
      Share e2 = co_await mul_fixed(e, e);
      e = std::move(e2);
    }
  }
  Share out = co_await mul_fixed(r, factor);
  co_return out;
}

sim::Task<Share> Aby3Spu::rsqrt(const Share& a, double max_value) {
  // f_rsqrt: z = highestOneBit(x) at bit e; u = x z_rev / 2^(f+2) in [0.25, 0.5) with
  // z_rev = bitrev(z, 0, 2f + 1); rsqrt(u) by SPU's degree-4 polynomial; the compensation
  // 2^(-(e + 2 - f) / 2) from z's bit pairs (k = floor(e / 2) one-hot, e's parity) as
  // mux(parity, 1, 1/sqrt 2) 2^(3f/2 - 1 - k), then one product. For 0 < x <= 2^f.
  if (!(max_value <= std::ldexp(1.0, frac_bits_)))
    throw std::invalid_argument("aby3-spu rsqrt: the input must not exceed 2^frac_bits");
  if (frac_bits_ % 2) throw std::invalid_argument("aby3-spu rsqrt: needs an even number of fractional bits");
  const int f = frac_bits_;
  const Share z = co_await highest_one_bit(a);
  const Share z_reversed = typed(bit_reverse(z, 0, 2 * f + 1), 2 * f + 1);
  const Share z_rev = co_await to_arithmetic(z_reversed);
  Share scaled = co_await mul(a, z_rev);
  Share u = co_await trunc(scaled, f + 2);
  Share u2 = co_await mul_fixed(u, u);
  Share u3 = co_await mul_fixed(u2, u);
  Share u4 = co_await mul_fixed(u2, u2);
  constexpr double kC[] = {4.14285016, -15.47994394, 38.4714796, -49.86605845, 26.02942339};
  const std::vector<const Share*> powers = {&u, &u2, &u3, &u4};
  Share acc = add_constant(sub(a, a), encode_fixed(kC[0], 2 * f));
  for (std::size_t i = 0; i < powers.size(); ++i) acc = add(acc, mul_public(*powers[i], encode_fixed(kC[i + 1], f)));
  Share r = co_await trunc(acc, f);
  // Bit pairs of z: a = the one-hot of k = floor(e / 2), parity = whether e is even.
  const Share k_hot = map_words(z, [](Ring v) { return even_bits(v) ^ odd_bits(v); });
  // z has one set bit, so e is even iff the parity of its even bits is 1 (parity is linear over XOR).
  const Share even = typed(map_words(z, [](Ring v) { return static_cast<Ring>(std::popcount(even_bits(v)) & 1); }), 1);
  const int span = (3 * f) / 2;  // bitrev over [0, span) maps 2^k to 2^(span - 1 - k)
  const Share k_reversed = typed(bit_reverse(k_hot, 0, span), span);
  const Share k_rev = co_await to_arithmetic(k_reversed);
  const Share even_a = co_await to_arithmetic(even);
  const Ring c_odd = encode_fixed(1.0 / std::numbers::sqrt2, f), c_even = encode_fixed(1.0, f);
  const Share mux = add_constant(mul_public(even_a, c_even - c_odd), c_odd);
  Share wide = co_await mul(mux, k_rev);
  Share comp = co_await trunc(wide, f);
  Share out = co_await mul_fixed(r, comp);
  co_return out;
}

sim::Task<Share> Aby3Spu::gelu(const Share& a) {
  // gelu_new = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), tanh by SPU's tanh_chebyshev:
  // clamp to [-5, 5], t = x / 5, nine odd Chebyshev terms (nine products), their dot product
  // with the coefficients and one truncation.
  const int f = frac_bits_;
  Share x2 = co_await mul_fixed(a, a);
  Share x3 = co_await mul_fixed(x2, a);
  const Share cubic_wide = mul_public(x3, encode_fixed(0.044715, f));
  Share cubic = co_await trunc(cubic_wide, f);
  const Share inner_wide = mul_public(add(a, cubic), encode_fixed(std::sqrt(2.0 / std::numbers::pi), f));
  Share inner = co_await trunc(inner_wide, f);
  const Share lo = add_constant(sub(a, a), encode_fixed(-5.0, f));
  const Share hi = add_constant(sub(a, a), encode_fixed(5.0, f));
  const Share below = co_await less_than(inner, lo);
  Share y = co_await select(below, lo, inner);
  const Share above = co_await less_than(hi, y);
  Share clamped = co_await select(above, hi, y);
  const Share fifth = mul_public(clamped, encode_fixed(0.2, f));
  Share t = co_await trunc(fifth, f);
  // Odd terms by CrypTen's recurrence: y = 4 t^2 - 2, T_3 = t (y - 1), T_{k+2} = y T_k - T_{k-2}.
  const std::vector<double>& coef = tanh_chebyshev_coefficients();
  Share t2 = co_await mul_fixed(t, t);
  const Share y4 = add_constant(mul_public(t2, 4), encode_fixed(-2.0, f));
  std::vector<Share> T = {t};
  const Share y_minus_1 = add_constant(y4, encode_fixed(-1.0, f));
  Share t3 = co_await mul_fixed(t, y_minus_1);
  T.push_back(std::move(t3));
  while (T.size() < coef.size()) {
    Share p = co_await mul_fixed(y4, T.back());
    T.push_back(sub(p, T[T.size() - 2]));
  }
  Share acc = sub(a, a);
  for (std::size_t k = 0; k < coef.size(); ++k) acc = add(acc, mul_public(T[k], encode_fixed(coef[k], f)));
  Share tanh = co_await trunc(acc, f);
  // 0.5 x (1 + tanh): one product, the halving folded into the truncation.
  const Share one_plus_tanh = add_constant(tanh, encode_fixed(1.0, f));
  Share prod = co_await mul(a, one_plus_tanh);
  Share out = co_await trunc(prod, f + 1);
  co_return out;
}

namespace {
// idx[..., None] - arange(C) as (n classes), each row's index minus every class (public, local);
// in cost mode only its shape (why: a cost-mode one-hot over tens of thousands of classes must
// not build the public tensor).
Share minus_classes(const Protocol& P, const Share& idx, std::int64_t classes) {
  const std::int64_t n = idx.size();
  Share flat_idx = idx;
  flat_idx.shape = Shape{n};
  if (!has_data(idx)) return shape_only(Shape{n * classes});
  const Share wide = repeat_each(flat_idx, classes);
  RingTensor minus(Shape{n * classes});
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t c = 0; c < classes; ++c) minus.data[static_cast<std::size_t>(i * classes + c)] = static_cast<Ring>(-c);
  return P.add_public(wide, minus);
}
}  // namespace

sim::Task<Share> Aby3Spu::one_hot(const Share& idx, std::int64_t classes) {
  // jax.nn.one_hot: idx[..., None] == arange(C), an 8-bit typed equality per class, converted
  // to arithmetic (B2AByOT on 8 bits) by the cast; (n, classes).
  if (classes < 1) throw std::invalid_argument("one_hot: classes must be positive");
  const Share diff = minus_classes(*this, idx, classes);
  const Share eq = co_await eqz(diff);
  Share out = co_await to_arithmetic(eq);
  out.shape = Shape{idx.size(), classes};
  co_return out;
}

sim::Task<Share> Aby3Spu::slice_mask(const Share& idx, std::int64_t classes) {
  // SecretDynamicSlice: equal(idx, iota) with the mask hinted to 1 bit, so its cast is a 1-bit
  // B2AByOT (62 + 32 bytes per row over the three parties).
  const Share diff = minus_classes(*this, idx, classes);
  const Share eq = co_await eqz(diff);
  const Share mask = typed(eq, 1);
  Share out = co_await to_arithmetic(mask);
  out.shape = Shape{idx.size(), classes};
  co_return out;
}

sim::Task<Share> Aby3Spu::argmax_index(const Share& a, std::int64_t rows, std::int64_t cols) {
  // A variadic TreeReduce over (value, index): each level compares pairs (MsbA2B) and selects
  // the value, then the index (two MulA1B, one after the other); an odd last column passes.
  Share vals = a;
  vals.shape = Shape{rows, cols};
  RingTensor iota(Shape{rows, cols});
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) iota.data[static_cast<std::size_t>(r * cols + c)] = static_cast<Ring>(c);
  Share idx = add_public(sub(vals, vals), iota);
  std::int64_t width = cols;
  while (width > 1) {
    const std::int64_t pairs = width / 2;
    const Share lv = gather_cols(vals, rows, width, 0, 2, pairs), rv = gather_cols(vals, rows, width, 1, 2, pairs);
    const Share li = gather_cols(idx, rows, width, 0, 2, pairs), ri = gather_cols(idx, rows, width, 1, 2, pairs);
    const Share lt = co_await less_than(lv, rv);
    Share v = co_await select(lt, rv, lv);
    Share i = co_await select(lt, ri, li);
    if (width % 2) {
      const Share last_v = gather_cols(vals, rows, width, width - 1, 1, 1), last_i = gather_cols(idx, rows, width, width - 1, 1, 1);
      v = append_col(v, last_v, rows, pairs);
      i = append_col(i, last_i, rows, pairs);
    }
    vals = std::move(v);
    idx = std::move(i);
    width = (width + 1) / 2;
  }
  idx.shape = Shape{rows};
  co_return idx;
}

}  // namespace kvsim::protocols
