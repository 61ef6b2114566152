// protocols/ring.h — the ring Z_2^64 and fixed-point encoding.
//
// Contract: every secret-shared value is an element of Z_2^64 held as std::uint64_t, where
// addition and multiplication wrap (unsigned overflow is defined in C++). Real numbers are encoded
// in fixed point with `frac_bits` fractional bits (default 18, SPU's FM64 default): encode(x) =
// round(x * 2^f) mod 2^64, decode reads the element as two's-complement int64 and divides by 2^f.
// Tensors are flat, row-major, with an explicit shape.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kvsim::protocols {

using Ring = std::uint64_t;
inline constexpr int kRingBits = 64;
inline constexpr int kDefaultFracBits = 18;

using Shape = std::vector<std::int64_t>;
std::int64_t numel(const Shape& s);
std::string shape_string(const Shape& s);

struct RingTensor {
  Shape shape;
  std::vector<Ring> data;
  RingTensor() = default;
  explicit RingTensor(Shape s) : shape(std::move(s)), data(static_cast<std::size_t>(numel(shape)), 0) {}
  RingTensor(Shape s, std::vector<Ring> d);
  std::int64_t size() const { return static_cast<std::int64_t>(data.size()); }
};

// A tensor of `shape` with every element `v` (public constants of the composites).
inline RingTensor filled(const Shape& shape, Ring v) {
  RingTensor t(shape);
  for (auto& x : t.data) x = v;
  return t;
}

Ring encode_fixed(double x, int frac_bits = kDefaultFracBits);
double decode_fixed(Ring r, int frac_bits = kDefaultFracBits);
RingTensor encode(const Shape& shape, const std::vector<double>& values, int frac_bits = kDefaultFracBits);
std::vector<double> decode(const RingTensor& t, int frac_bits = kDefaultFracBits);

// Arithmetic right shift of the two's-complement value (what truncation aims for).
inline Ring arshift(Ring x, int bits) { return static_cast<Ring>(static_cast<std::int64_t>(x) >> bits); }

// Batched matrix product over the ring: a (batch, m, k) x b (batch, k, n) -> (batch, m, n).
std::vector<Ring> ring_matmul(const Ring* a, const Ring* b, std::int64_t batch, std::int64_t m, std::int64_t k,
                              std::int64_t n);

// Applies one permutation per row to a (rows, fields, cols) layout: out[r][f][c] = v[r][f][perm_r[c]].
std::vector<Ring> permute_rows(const std::vector<Ring>& v, const std::vector<std::vector<std::int64_t>>& perms,
                               std::int64_t rows, std::int64_t cols, std::int64_t fields);

// Frees a vector's memory now (clear() keeps the capacity).
inline void release(std::vector<Ring>& v) { std::vector<Ring>().swap(v); }

// Little-endian serialization (the wire format is fixed-width LE whatever the host).
std::vector<std::byte> to_bytes(const std::vector<Ring>& v);
// The same order in place: a no-op on little-endian hosts, a byte swap per element elsewhere (so a
// transport writes and reads the elements' own memory).
void swap_to_wire_order(std::vector<Ring>& v);
inline void swap_from_wire_order(std::vector<Ring>& v) { swap_to_wire_order(v); }
// SHA-256 of the serialized elements, lowercase hex (compares results across processes).
std::string digest_hex(const std::vector<Ring>& v);

}  // namespace kvsim::protocols
