// sim/timeline.h — a record of what happened: which process used which resource, when, how much.
//
// Contract: resources (links, device streams) and processes append spans; the timeline never
// influences simulated time. Recording can be switched off for speed (benchmarks, huge sweeps);
// summaries are then still exact because resources keep their own counters. Strings are interned:
// a span is a few integers, so recording millions of spans stays cheap.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/time.h"

namespace kvsim::sim {

struct Span {
  std::uint32_t process;   // interned name of the process that caused it
  std::uint32_t resource;  // interned name, e.g. "link/lan/a->b", "gpu0/compute"
  std::uint32_t label;     // interned free text, e.g. "round 3", "matmul"
  Time start;
  Time end;
  std::uint64_t bytes;
};

struct ResourceSummary {
  std::string resource;
  std::uint64_t spans = 0;
  Duration busy = 0;  // sum of span durations (spans on one resource may overlap on a link,
                      // where a span runs from serialization start to arrival)
  std::uint64_t bytes = 0;
  Time first_start = 0;
  Time last_end = 0;
};

class Timeline {
 public:
  void set_enabled(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }

  std::uint32_t intern(std::string_view s);
  const std::string& name(std::uint32_t id) const { return names_[id]; }

  void record(std::string_view process, std::string_view resource, Time start, Time end,
              std::uint64_t bytes, std::string_view label);
  const std::vector<Span>& spans() const { return spans_; }

  // Per-resource totals, sorted by resource name (deterministic order).
  std::vector<ResourceSummary> summarize() const;

  // Chrome trace-event JSON ("X" complete events, microsecond timestamps); opens in Perfetto
  // and chrome://tracing. Resources become threads, grouped into one process per top-level name.
  void write_chrome_trace(std::ostream& out) const;

 private:
  bool enabled_ = true;
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<Span> spans_;
};

}  // namespace kvsim::sim
