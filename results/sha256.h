// results/sha256.h — SHA-256 (OpenSSL's) of a payload fed in pieces, as lowercase hex: the
// integrity digest kvsim's input formats carry (checkpoint, KV trace, acceptance trace).
//
// Contract: Sha256().update(a).update(b).hex() == digest of the concatenation a || b. hex() may be
// called once; the object is then spent.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace kvsim::results {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256& update(const void* data, std::size_t n);
  Sha256& update(std::string_view text) { return update(text.data(), text.size()); }
  std::string hex();

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

// Lowercase hex of n raw bytes (a digest stored in binary, for instance).
std::string to_hex(const void* data, std::size_t n);

inline std::string sha256_hex(const void* data, std::size_t n) { return Sha256().update(data, n).hex(); }

}  // namespace kvsim::results
