// protocols/boolean_words.h — XOR-shared 64-bit words: the local helpers and the carry circuit
// that ABY3 and semi2k share (internal to protocols/).
//
// A boolean Share uses the family's layout with XOR in place of addition (ABY3: s0 and s1;
// semi2k: s0). Local operations act on every component present. carry_prefix() is the
// Kogge-Stone parallel-prefix circuit: from the propagate word p0 = a ^ b and the generate word
// g0 = a & b of two addends it returns the block-generate word G, whose bit i is the carry out of
// bits i..0 of a + b; one round of ANDs per level (spans 1 .. 32), both ANDs of a level batched.
#pragma once

#include <functional>

#include "protocols/protocol.h"

namespace kvsim::protocols {

template <class F>
Share map_words(const Share& a, F f) {
  Share out = a;
  for (auto& v : out.s0) v = f(v);
  for (auto& v : out.s1) v = f(v);
  return out;
}
Share xor_words(const Share& a, const Share& b);
Share concat(const Share& a, const Share& b);
Share slice(const Share& a, std::size_t from, std::size_t n, Shape shape);

// From the block generates of a + b: bit 0 of each word holds the carry into bit f, then (the
// second half) the carry out of bit 63 — the two bits exact truncation needs.
Share carry_and_wrap_bits(const Share& g, int f);

// B2A of 64-bit XOR-shared words: the 64 bits of every element are injected at once (one
// batched bit-to-arithmetic over 64 n bits, spread_bits) and recombined as the sum of 2^i b_i
// (recombine). It costs 64 bit injections per element; cheaper B2A with random masks is future
// work. spread_bits: (n) words -> (bits n) words holding bit i of element j at i * n + j, in bit 0.
Share spread_bits(const Share& b, int bits = 64);
Share recombine(const Share& bits, const Shape& shape);

// Byte packing of small values for the wire: element j's low `bytes` bytes, little-endian,
// element after element, in ceil(n bytes / 8) words (pack_bytes); the inverse (unpack_bytes).
// Outgoing::charged_bytes is then n * bytes: the tail of the last word is not sent.
std::vector<Ring> pack_bytes(const std::vector<Ring>& values, int bytes);
std::vector<Ring> unpack_bytes(const std::vector<Ring>& words, std::size_t n, int bytes);
// Bits 0, 2, 4, ... of each word in its low 32 bits (the lower halves of adjacent bit pairs).
Ring even_bits(Ring x);
inline Ring odd_bits(Ring x) { return even_bits(x >> 1); }

using AndWords = std::function<sim::Task<Share>(const Share&, const Share&)>;
sim::Task<Share> carry_prefix(Share p0, Share g0, AndWords and_words);

}  // namespace kvsim::protocols
