// sim/random.cpp — stream derivation: seed and name are hashed into one 64-bit stream seed.
#include "sim/random.h"

#include <stdexcept>

namespace kvsim::sim {

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t hash_name(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) { h ^= c; h *= 0x100000001b3ULL; }
  return mix64(h);
}

Rng RandomStreams::stream(std::string_view name) const {
  // Why seed_seq with two words: mt19937_64's state is 312 words; seed_seq spreads the 128 bits
  // of (seed, name) over all of it instead of the single-word constructor's linear recurrence.
  const std::uint64_t a = mix64(seed_), b = hash_name(name) ^ mix64(seed_ + 1);
  std::seed_seq seq{static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(a >> 32),
                    static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(b >> 32)};
  return Rng(seq);
}

std::uint64_t uniform_below(Rng& rng, std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("uniform_below: n must be positive");
  unsigned __int128 m = static_cast<unsigned __int128>(rng()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = -n % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(rng()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

}  // namespace kvsim::sim
