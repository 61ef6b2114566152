// sim/time.h — virtual time.
//
// Contract: simulated time is a signed 64-bit count of PICOSECONDS since the start of a run.
// Why picoseconds: one byte on a 400 Gbit/s link takes 20 ps and one fp16 element on an HBM3 bus
// a fraction of a nanosecond; nanoseconds would round per-message serialization times and the
// rounding would accumulate over millions of messages. int64 picoseconds still span 106 days of
// simulated time, far beyond any decode run. Integers (never floats) keep (time, seq) ordering and
// sums exact, so a run is bit-for-bit reproducible.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace kvsim::sim {

using Time = std::int64_t;      // picoseconds since the start of the run
using Duration = std::int64_t;  // picoseconds

inline constexpr Time kTimeMax = std::numeric_limits<Time>::max();

constexpr Duration picoseconds(std::int64_t n) { return n; }
constexpr Duration nanoseconds(std::int64_t n) { return n * 1'000; }
constexpr Duration microseconds(std::int64_t n) { return n * 1'000'000; }
constexpr Duration milliseconds(std::int64_t n) { return n * 1'000'000'000; }
constexpr Duration seconds_i(std::int64_t n) { return n * 1'000'000'000'000; }

// t + d, refusing to pass the clock's span: an absurd scenario (a petabyte message, years of
// compute) gets a clear std::overflow_error instead of a wrapped, negative time.
inline Time advance(Time t, Duration d) {
  if (d > kTimeMax - t)
    throw std::overflow_error("simulated time would pass the clock's span (about 106 days in int64 picoseconds): "
                              "a message, compute step or run too long for one simulation");
  return t + d;
}

// Converts a duration in seconds (a double from a model or a scenario) to picoseconds,
// rounding to the nearest picosecond. Throws std::out_of_range for negative or huge values.
Duration from_seconds(double seconds);

constexpr double to_seconds(Duration d) { return static_cast<double>(d) * 1e-12; }
constexpr double to_microseconds(Duration d) { return static_cast<double>(d) * 1e-6; }

// Time to push `bytes` through `bytes_per_second`, rounded UP to the next picosecond so that a
// transfer is never reported as finished before its last byte. Exact integer arithmetic when
// the bandwidth is an integer number of bytes per second.
Duration transfer_time(std::uint64_t bytes, double bytes_per_second);

// "1.25 ms", "830 ns", "2.000 s": for logs and tables.
std::string format_duration(Duration d);

}  // namespace kvsim::sim
