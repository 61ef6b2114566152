// protocols/prg.h — party randomness: AES-128 in counter mode (OpenSSL).
//
// Contract: a Prg is a deterministic stream of pseudo-random ring elements from a 128-bit key.
// Parties derive private keys and pairwise shared keys (ABY3's correlated randomness) from their
// seeds; in simulation the seeds come from the scenario seed, over TCP from the command line.
// AES-CTR with a secret key is a CSPRNG; std::mt19937 is never used for shares.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "protocols/ring.h"

namespace kvsim::protocols {

using PrgKey = std::array<std::uint8_t, 16>;

// The key for (seed, a, b): the same for (a, b) as for (b, a), so two parties derive one shared key.
PrgKey derive_key(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t purpose);

class Prg {
 public:
  explicit Prg(const PrgKey& key);
  ~Prg();
  Prg(Prg&&) noexcept;
  Prg& operator=(Prg&&) noexcept;
  Prg(const Prg&) = delete;
  Prg& operator=(const Prg&) = delete;

  // Writes the next n elements of the stream straight into `out`.
  void fill(Ring* out, std::size_t n);
  std::vector<Ring> next(std::size_t n);
  std::uint64_t bytes_generated() const { return bytes_; }

 private:
  void key_stream_over_zeros(Ring* out, std::size_t n);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint64_t bytes_ = 0;
};

// A uniformly random permutation of [0, n) (Fisher-Yates with rejection sampling): two parties
// drawing from the same key get the same permutation.
std::vector<std::int64_t> random_permutation(Prg& prg, std::int64_t n);

}  // namespace kvsim::protocols
