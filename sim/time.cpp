// sim/time.cpp — conversions between picosecond integers and human units.
#include "sim/time.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace kvsim::sim {

Duration from_seconds(double seconds) {
  if (!(seconds >= 0.0) || seconds * 1e12 > 9.2e18) {
    throw std::out_of_range("duration out of range: " + std::to_string(seconds) + " s");
  }
  return static_cast<Duration>(std::llround(seconds * 1e12));
}

namespace {
[[noreturn]] void throw_too_long(std::uint64_t bytes, double bytes_per_second) {
  throw std::overflow_error("a transfer of " + std::to_string(bytes) + " B at " + std::to_string(bytes_per_second) +
                            " B/s outlasts the simulated clock's span (about 106 days)");
}
}  // namespace

Duration transfer_time(std::uint64_t bytes, double bytes_per_second) {
  if (!(bytes_per_second > 0.0)) throw std::invalid_argument("bandwidth must be positive");
  if (bytes == 0) return 0;
  const double integral = std::floor(bytes_per_second);
  if (integral == bytes_per_second && integral < 1.8e19) {
    // ceil(bytes * 1e12 / B) in 128-bit integers: exact.
    const unsigned __int128 num = static_cast<unsigned __int128>(bytes) * 1'000'000'000'000ULL;
    const auto den = static_cast<unsigned __int128>(integral);
    const unsigned __int128 t = (num + den - 1) / den;
    if (t > static_cast<unsigned __int128>(kTimeMax)) throw_too_long(bytes, bytes_per_second);
    return static_cast<Duration>(t);
  }
  const double t = std::ceil(static_cast<double>(bytes) * 1e12 / bytes_per_second);
  if (!(t < 9.2e18)) throw_too_long(bytes, bytes_per_second);
  return static_cast<Duration>(t);
}

std::string format_duration(Duration d) {
  const double ad = std::fabs(static_cast<double>(d));
  char buf[64];
  if (ad >= 1e12) std::snprintf(buf, sizeof buf, "%.3f s", d * 1e-12);
  else if (ad >= 1e9) std::snprintf(buf, sizeof buf, "%.3f ms", d * 1e-9);
  else if (ad >= 1e6) std::snprintf(buf, sizeof buf, "%.3f us", d * 1e-6);
  else if (ad >= 1e3) std::snprintf(buf, sizeof buf, "%.3f ns", d * 1e-3);
  else std::snprintf(buf, sizeof buf, "%lld ps", static_cast<long long>(d));
  return buf;
}

}  // namespace kvsim::sim
