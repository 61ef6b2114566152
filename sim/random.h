// sim/random.h — seeded, named random streams.
//
// Contract: every random number in kvsim comes from a stream obtained here. A stream is identified
// by (scenario seed, component name) and is independent of how many other streams exist or in
// which order they were created, so adding a component never perturbs another's numbers. Never
// std::random_device. The generator is std::mt19937_64, whose output sequence the C++ standard
// fixes; use the helpers below instead of std::*_distribution, whose algorithms differ between
// standard libraries.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>

namespace kvsim::sim {

using Rng = std::mt19937_64;

// SplitMix64 finalizer: a bijective 64-bit mix with good avalanche.
std::uint64_t mix64(std::uint64_t x);
// FNV-1a over the bytes of `s`, then mixed.
std::uint64_t hash_name(std::string_view s);

class RandomStreams {
 public:
  explicit RandomStreams(std::uint64_t seed) : seed_(seed) {}
  std::uint64_t seed() const { return seed_; }
  // The stream of component `name` (e.g. "link/lan", "party/2/prg").
  Rng stream(std::string_view name) const;

 private:
  std::uint64_t seed_;
};

// Uniform double in [0, 1) with 53 random bits; identical on every platform.
inline double uniform01(Rng& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
// Uniform integer in [0, n) without modulo bias (Lemire's method).
std::uint64_t uniform_below(Rng& rng, std::uint64_t n);

}  // namespace kvsim::sim
