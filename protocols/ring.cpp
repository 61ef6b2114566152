// protocols/ring.cpp — fixed point, ring matmul, serialization.
#include "protocols/ring.h"

#include <cmath>
#include <bit>
#include <cstddef>
#include <cstring>
#include <stdexcept>

#include <openssl/evp.h>

namespace kvsim::protocols {

std::int64_t numel(const Shape& s) {
  std::int64_t n = 1;
  for (auto d : s) {
    if (d < 0) throw std::invalid_argument("negative dimension in shape " + shape_string(s));
    n *= d;
  }
  return n;
}

std::string shape_string(const Shape& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + ")";
}

RingTensor::RingTensor(Shape s, std::vector<Ring> d) : shape(std::move(s)), data(std::move(d)) {
  if (numel(shape) != static_cast<std::int64_t>(data.size()))
    throw std::invalid_argument("tensor data does not match shape " + shape_string(shape));
}

Ring encode_fixed(double x, int f) {
  const double scaled = std::nearbyint(x * std::ldexp(1.0, f));
  if (!(std::fabs(scaled) < 9.2e18)) throw std::out_of_range("fixed-point overflow encoding " + std::to_string(x));
  return static_cast<Ring>(static_cast<std::int64_t>(scaled));
}

double decode_fixed(Ring r, int f) { return std::ldexp(static_cast<double>(static_cast<std::int64_t>(r)), -f); }

RingTensor encode(const Shape& shape, const std::vector<double>& values, int f) {
  RingTensor t(shape);
  if (static_cast<std::int64_t>(values.size()) != t.size()) throw std::invalid_argument("encode: values do not match shape");
  for (std::size_t i = 0; i < values.size(); ++i) t.data[i] = encode_fixed(values[i], f);
  return t;
}

std::vector<double> decode(const RingTensor& t, int f) {
  std::vector<double> out(t.data.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = decode_fixed(t.data[i], f);
  return out;
}

std::vector<Ring> ring_matmul(const Ring* a, const Ring* b, std::int64_t batch, std::int64_t m, std::int64_t k,
                              std::int64_t n) {
  std::vector<Ring> c(static_cast<std::size_t>(batch * m * n), 0);
  for (std::int64_t t = 0; t < batch; ++t) {
    const Ring* A = a + t * m * k;
    const Ring* B = b + t * k * n;
    Ring* C = c.data() + t * m * n;
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t p = 0; p < k; ++p) {
        const Ring av = A[i * k + p];
        const Ring* brow = B + p * n;
        Ring* crow = C + i * n;
        for (std::int64_t j = 0; j < n; ++j) crow[j] += av * brow[j];  // wraps mod 2^64
      }
  }
  return c;
}

std::vector<Ring> permute_rows(const std::vector<Ring>& v, const std::vector<std::vector<std::int64_t>>& perms,
                               std::int64_t rows, std::int64_t cols, std::int64_t fields) {
  std::vector<Ring> out(v.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t f = 0; f < fields; ++f)
      for (std::int64_t c = 0; c < cols; ++c)
        out[static_cast<std::size_t>((r * fields + f) * cols + c)] =
            v[static_cast<std::size_t>((r * fields + f) * cols + perms[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)])];
  return out;
}

std::vector<std::byte> to_bytes(const std::vector<Ring>& v) {
  if constexpr (std::endian::native == std::endian::little) {
    // Already the wire order: copy-construct (no zero fill before the copy).
    const auto* b = reinterpret_cast<const std::byte*>(v.data());
    return std::vector<std::byte>(b, b + v.size() * 8);
  }
  std::vector<std::byte> out(v.size() * 8);
  for (std::size_t i = 0; i < v.size(); ++i)
    for (int b = 0; b < 8; ++b) out[i * 8 + b] = static_cast<std::byte>((v[i] >> (8 * b)) & 0xff);
  return out;
}

void swap_to_wire_order(std::vector<Ring>& v) {
  if constexpr (std::endian::native != std::endian::little)
    for (Ring& x : v) x = __builtin_bswap64(x);
}

std::string digest_hex(const std::vector<Ring>& v) {
  const std::vector<std::byte> bytes = to_bytes(v);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

}  // namespace kvsim::protocols
