// protocols/prg.cpp — AES-128-CTR through OpenSSL's EVP interface.
#include "protocols/prg.h"

#include <openssl/evp.h>

#include <cstring>
#include <utility>
#include <stdexcept>

namespace kvsim::protocols {

struct Prg::Impl {
  EVP_CIPHER_CTX* ctx = nullptr;
  std::vector<std::uint8_t> zeros;
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
  const std::size_t bytes = n * sizeof(Ring);
  if (impl_->zeros.size() < bytes) impl_->zeros.assign(bytes, 0);
  int len = 0;
  // Encrypting zeros yields the raw key stream. Little-endian reinterpretation is fine here:
  // uniform bytes give uniform ring elements on any host.
  if (EVP_EncryptUpdate(impl_->ctx, reinterpret_cast<unsigned char*>(out), &len, impl_->zeros.data(),
                        static_cast<int>(bytes)) != 1 || static_cast<std::size_t>(len) != bytes)
    throw std::runtime_error("AES-CTR key stream failed");
  bytes_ += bytes;
}

std::vector<Ring> Prg::next(std::size_t n) {
  std::vector<Ring> v(n);
  fill(v.data(), n);
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
