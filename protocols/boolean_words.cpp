// protocols/boolean_words.cpp — XOR-word helpers and the Kogge-Stone carry prefix.
#include "protocols/boolean_words.h"

namespace kvsim::protocols {

Share xor_words(const Share& a, const Share& b) {
  Share out = a;
  for (std::size_t i = 0; i < out.s0.size() && i < b.s0.size(); ++i) out.s0[i] ^= b.s0[i];
  for (std::size_t i = 0; i < out.s1.size() && i < b.s1.size(); ++i) out.s1[i] ^= b.s1[i];
  return out;
}

Share concat(const Share& a, const Share& b) {
  Share out{Shape{a.size() + b.size()}, a.s0, a.s1, a.cost_only || b.cost_only};
  out.s0.insert(out.s0.end(), b.s0.begin(), b.s0.end());
  out.s1.insert(out.s1.end(), b.s1.begin(), b.s1.end());
  return out;
}

Share slice(const Share& a, std::size_t from, std::size_t n, Shape shape) {
  Share out{std::move(shape), {}, {}, a.cost_only};
  if (!has_data(a) || a.s0.empty()) return out;
  const auto f = static_cast<std::ptrdiff_t>(from), t = static_cast<std::ptrdiff_t>(from + n);
  out.s0.assign(a.s0.begin() + f, a.s0.begin() + t);
  if (!a.s1.empty()) out.s1.assign(a.s1.begin() + f, a.s1.begin() + t);
  return out;
}

Share carry_and_wrap_bits(const Share& g, int f) {
  return concat(map_words(g, [f](Ring v) { return (v >> (f - 1)) & 1; }), map_words(g, [](Ring v) { return v >> 63; }));
}

sim::Task<Share> carry_prefix(Share p, Share g, AndWords and_words) {
  const std::size_t n = static_cast<std::size_t>(p.size());
  const Shape shape = p.shape;
  for (int d = 1; d < 64; d *= 2) {
    const Share g_shift = map_words(g, [d](Ring v) { return v << d; });
    if (d < 32) {
      const Share p_shift = map_words(p, [d](Ring v) { return v << d; });
      // (p & g<<d) and (p & p<<d) in one round. Named operands: GCC 12 destroys non-trivial
      // temporaries inside a co_await expression twice (docs/architecture.md).
      const Share lhs = concat(p, p), rhs = concat(g_shift, p_shift);
      const Share both = co_await and_words(lhs, rhs);
      g = xor_words(g, slice(both, 0, n, shape));
      p = slice(both, n, n, shape);
    } else {
      const Share pg = co_await and_words(p, g_shift);
      g = xor_words(g, pg);
    }
  }
  co_return g;
}

Share spread_bits(const Share& b, int bits) {
  const auto planes = static_cast<std::size_t>(bits);
  Share out{Shape{bits * b.size()}, {}, {}, b.cost_only};
  if (!has_data(b)) return out;
  const std::size_t n = b.s0.size();
  out.s0.resize(planes * n);
  if (!b.s1.empty()) out.s1.resize(planes * n);
  for (int i = 0; i < bits; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      out.s0[static_cast<std::size_t>(i) * n + j] = (b.s0[j] >> i) & 1;
      if (!b.s1.empty()) out.s1[static_cast<std::size_t>(i) * n + j] = (b.s1[j] >> i) & 1;
    }
  return out;
}
Share recombine(const Share& bits, const Shape& shape) {
  Share out{shape, {}, {}, bits.cost_only};
  if (!has_data(bits)) return out;
  const std::size_t n = static_cast<std::size_t>(numel(shape));
  out.s0.assign(n, 0);
  if (!bits.s1.empty()) out.s1.assign(n, 0);
  for (int i = 0; i < 64; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      out.s0[j] += bits.s0[static_cast<std::size_t>(i) * n + j] << i;
      if (!bits.s1.empty()) out.s1[j] += bits.s1[static_cast<std::size_t>(i) * n + j] << i;
    }
  return out;
}

std::vector<Ring> pack_bytes(const std::vector<Ring>& values, int bytes) {
  const std::size_t total = values.size() * static_cast<std::size_t>(bytes);
  std::vector<Ring> out((total + 7) / 8, 0);
  std::size_t at = 0;
  for (Ring v : values)
    for (int b = 0; b < bytes; ++b, ++at) out[at / 8] |= ((v >> (8 * b)) & 0xff) << (8 * (at % 8));
  return out;
}

std::vector<Ring> unpack_bytes(const std::vector<Ring>& words, std::size_t n, int bytes) {
  std::vector<Ring> out(n, 0);
  std::size_t at = 0;
  for (std::size_t j = 0; j < n; ++j)
    for (int b = 0; b < bytes; ++b, ++at) out[j] |= ((words[at / 8] >> (8 * (at % 8))) & 0xff) << (8 * b);
  return out;
}

Ring even_bits(Ring x) {
  x &= 0x5555555555555555ULL;
  x = (x | (x >> 1)) & 0x3333333333333333ULL;
  x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
  return x;
}

}  // namespace kvsim::protocols
