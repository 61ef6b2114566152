// protocols/prg.cpp — AES-128-CTR through OpenSSL's EVP interface.
#include "protocols/prg.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <stdexcept>

namespace kvsim::protocols {

struct Prg::Impl {
  EVP_CIPHER_CTX* ctx = nullptr;
};

PrgKey derive_key(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t purpose) {
  if (a > b) std::swap(a, b);
  std::uint8_t in[32];
  const std::uint64_t words[4] = {seed, a, b, purpose};
  for (int w = 0; w < 4; ++w)
    for (int i = 0; i < 8; ++i) in[w * 8 + i] = static_cast<std::uint8_t>(words[w] >> (8 * i));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(in, sizeof in, md, &len, EVP_sha256(), nullptr);
  PrgKey k{};
  std::memcpy(k.data(), md, k.size());
  return k;
}

Prg::Prg(const PrgKey& key) : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_CIPHER_CTX_new();
  const std::uint8_t iv[16] = {};
  if (!impl_->ctx || EVP_EncryptInit_ex(impl_->ctx, EVP_aes_128_ctr(), nullptr, key.data(), iv) != 1)
    throw std::runtime_error("cannot initialize AES-128-CTR");
}

Prg::~Prg() {
  if (impl_ && impl_->ctx) EVP_CIPHER_CTX_free(impl_->ctx);
}
Prg::Prg(Prg&&) noexcept = default;
Prg& Prg::operator=(Prg&&) noexcept = default;

void Prg::fill(Ring* out, std::size_t n) {
  std::memset(out, 0, n * sizeof(Ring));
  key_stream_over_zeros(out, n);
}

// `out` holds zeros: encrypting it in place (CTR allows in == out) leaves the raw key stream in
// the destination, with no zero buffer to allocate, touch and read. Little-endian reinterpretation
// is fine here: uniform bytes give uniform ring elements on any host.
void Prg::key_stream_over_zeros(Ring* out, std::size_t n) {
  const std::size_t bytes = n * sizeof(Ring);
  auto* p = reinterpret_cast<unsigned char*>(out);
  constexpr std::size_t kChunk = std::size_t{1} << 30;  // EVP lengths are ints
  for (std::size_t done = 0; done < bytes;) {
    const int step = static_cast<int>(std::min(kChunk, bytes - done));
    int len = 0;
    if (EVP_EncryptUpdate(impl_->ctx, p + done, &len, p + done, step) != 1 || len != step)
      throw std::runtime_error("AES-CTR key stream failed");
    done += static_cast<std::size_t>(step);
  }
  bytes_ += bytes;
}

std::vector<Ring> Prg::next(std::size_t n) {
  std::vector<Ring> v(n);  // value-initialized: already the zeros the key stream is XORed onto
  key_stream_over_zeros(v.data(), n);
  return v;
}

std::vector<std::int64_t> random_permutation(Prg& prg, std::int64_t n) {
  std::vector<std::int64_t> perm(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) perm[static_cast<std::size_t>(i)] = i;
  for (std::int64_t i = n - 1; i > 0; --i) {
    const std::uint64_t bound = static_cast<std::uint64_t>(i + 1);
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;  // rejection keeps it unbiased
    Ring v;
    do prg.fill(&v, 1); while (v >= limit);
    std::swap(perm[static_cast<std::size_t>(i)], perm[v % bound]);
  }
  return perm;
}

}  // namespace kvsim::protocols
