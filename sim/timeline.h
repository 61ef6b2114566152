// sim/timeline.h — a record of what happened: which process used which resource, when, how much.
//
// Contract: resources (links, device streams) and processes report spans; the timeline never
// influences simulated time. Per-resource summaries (spans, busy time, bytes, first start, last
// end) are accumulated as spans are reported, in constant memory per resource. Individual spans
// are kept only when asked (keep_spans, e.g. for `--trace`): a run that does not keep them uses
// memory that does not grow with simulated time. Strings are interned: a kept span is a few
// integers.
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
  using ResourceId = std::uint32_t;

  // Off by default: summaries are always exact, spans cost memory per span.
  void keep_spans(bool on) { keep_spans_ = on; }
  bool keeps_spans() const { return keep_spans_; }

  std::uint32_t intern(std::string_view s);
  const std::string& name(std::uint32_t id) const { return names_[id]; }

  // Registers a resource once (a stream or a link direction at construction); reporting spans
  // by id then costs a few additions.
  ResourceId resource(std::string_view name);

  // `label` is read only when spans are kept: a caller that does not keep them may pass "".
  void record(std::string_view process, ResourceId resource, Time start, Time end, std::uint64_t bytes,
              std::string_view label) {
    Totals& t = totals_[resource];
    if (t.spans == 0 || start < t.first_start) t.first_start = start;
    if (t.spans == 0 || end > t.last_end) t.last_end = end;
    t.spans += 1;
    t.busy += end - start;
    t.bytes += bytes;
    if (keep_spans_) keep(process, t.name, start, end, bytes, label);
  }
  void record(std::string_view process, std::string_view resource_name, Time start, Time end,
              std::uint64_t bytes, std::string_view label) {
    record(process, resource(resource_name), start, end, bytes, label);
  }
  const std::vector<Span>& spans() const { return spans_; }

  // Per-resource totals of resources that had at least one span, sorted by resource name.
  std::vector<ResourceSummary> summarize() const;

  // Chrome trace-event JSON ("X" complete events, microsecond timestamps) of the kept spans;
  // opens in Perfetto and chrome://tracing. Resources become threads, grouped into one process
  // per top-level name; a resource whose spans overlap (a pipelined link) gets one thread per
  // lane ("<resource>", "<resource> #2", ...), so that on every thread events never overlap and
  // none is dropped. Events are written in start order.
  void write_chrome_trace(std::ostream& out) const;

 private:
  struct Totals {
    std::uint32_t name;  // interned
    std::uint64_t spans = 0;
    Duration busy = 0;
    std::uint64_t bytes = 0;
    Time first_start = 0;
    Time last_end = 0;
  };
  // Why transparent: lookups by string_view must not build a std::string per span.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void keep(std::string_view process, std::uint32_t resource_name, Time start, Time end, std::uint64_t bytes,
            std::string_view label);
  bool keep_spans_ = false;
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> ids_;
  std::unordered_map<std::uint32_t, ResourceId> resource_of_name_;
  std::vector<Totals> totals_;  // indexed by ResourceId
  std::vector<Span> spans_;
};

}  // namespace kvsim::sim
