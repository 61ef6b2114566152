// sim/timeline.cpp — running summaries, kept spans and Chrome trace export.
#include "sim/timeline.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace kvsim::sim {

std::uint32_t Timeline::intern(std::string_view s) {
  auto it = ids_.find(s);
  if (it != ids_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(s);
  ids_.emplace(names_.back(), id);
  return id;
}

Timeline::ResourceId Timeline::resource(std::string_view name) {
  const std::uint32_t n = intern(name);
  auto [it, added] = resource_of_name_.emplace(n, static_cast<ResourceId>(totals_.size()));
  if (added) totals_.push_back(Totals{n});
  return it->second;
}

void Timeline::keep(std::string_view process, std::uint32_t resource_name, Time start, Time end,
                    std::uint64_t bytes, std::string_view label) {
  spans_.push_back(Span{intern(process), resource_name, intern(label), start, end, bytes});
}

std::vector<ResourceSummary> Timeline::summarize() const {
  std::map<std::string_view, const Totals*> by_name;
  for (const Totals& t : totals_) {
    if (t.spans > 0) by_name.emplace(names_[t.name], &t);
  }
  std::vector<ResourceSummary> out;
  out.reserve(by_name.size());
  for (const auto& [name, t] : by_name) {
    out.push_back(ResourceSummary{std::string(name), t->spans, t->busy, t->bytes, t->first_start, t->last_end});
  }
  return out;
}

namespace {
void write_json_string(std::ostream& out, std::string_view s) {
  out << '"';
  for (char c : s) {
    switch (c) {
      case '"': out << "\\\""; break;
      case '\\': out << "\\\\"; break;
      case '\n': out << "\\n"; break;
      case '\t': out << "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out << buf;
        } else {
          out << c;
        }
    }
  }
  out << '"';
}

std::string_view group_of(std::string_view resource) {
  return resource.substr(0, resource.find('/'));
}

void write_us(std::ostream& out, Time ps) {
  // Exact decimal microseconds from integer picoseconds (no float rounding in the trace).
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(ps / 1'000'000),
                static_cast<long long>(ps % 1'000'000));
  out << buf;
}
}  // namespace

void Timeline::write_chrome_trace(std::ostream& out) const {
  // Lanes: spans of one resource may overlap (a link pipelines messages: the next leaves before
  // the last byte of the previous arrives). Complete events that overlap on one track are not
  // nested and trace viewers drop or misdraw them, so each resource's spans are dealt, in start
  // order, onto the first lane free at their start; lane k > 0 is the track "<resource> #k+1".
  std::vector<std::size_t> order(spans_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return spans_[a].start < spans_[b].start;
  });
  std::map<std::uint32_t, std::vector<Time>> lane_free;  // resource -> end of each lane's last span
  std::vector<std::size_t> lane_of(spans_.size());
  for (std::size_t i : order) {
    auto& lanes = lane_free[spans_[i].resource];
    std::size_t lane = 0;
    while (lane < lanes.size() && lanes[lane] > spans_[i].start) ++lane;
    if (lane == lanes.size()) lanes.push_back(0);
    lanes[lane] = spans_[i].end;
    lane_of[i] = lane;
  }
  auto track = [&](std::uint32_t resource, std::size_t lane) {
    return lane == 0 ? names_[resource] : names_[resource] + " #" + std::to_string(lane + 1);
  };

  // Stable pid/tid numbering: tracks in name order, one process per resource group.
  std::map<std::string, int> tid_of;
  std::map<std::string, int> pid_of;
  std::map<std::string, std::string> group_of_track;
  for (const auto& [resource, lanes] : lane_free) {
    for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
      const std::string t = track(resource, lane);
      tid_of.emplace(t, 0);
      group_of_track.emplace(t, std::string(group_of(names_[resource])));
    }
  }
  int next_tid = 1;
  for (auto& [name, tid] : tid_of) {
    tid = next_tid++;
    pid_of.emplace(group_of_track.at(name), 0);
  }
  int next_pid = 1;
  for (auto& [_, pid] : pid_of) pid = next_pid++;

  out << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  bool first = true;
  auto sep = [&] { if (!first) out << ",\n"; first = false; };
  for (const auto& [group, pid] : pid_of) {
    sep();
    out << "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" << pid << ",\"args\":{\"name\":";
    write_json_string(out, group);
    out << "}}";
  }
  for (const auto& [name, tid] : tid_of) {
    sep();
    out << "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" << pid_of.at(group_of_track.at(name))
        << ",\"tid\":" << tid << ",\"args\":{\"name\":";
    write_json_string(out, name);
    out << "}}";
  }
  for (std::size_t i : order) {
    const Span& s = spans_[i];
    const std::string t = track(s.resource, lane_of[i]);
    sep();
    out << "{\"ph\":\"X\",\"name\":";
    write_json_string(out, names_[s.label]);
    out << ",\"pid\":" << pid_of.at(group_of_track.at(t)) << ",\"tid\":" << tid_of.at(t) << ",\"ts\":";
    write_us(out, s.start);
    out << ",\"dur\":";
    write_us(out, s.end - s.start);
    out << ",\"args\":{\"process\":";
    write_json_string(out, names_[s.process]);
    out << ",\"bytes\":" << s.bytes << "}}";
  }
  out << "\n]}\n";
}

}  // namespace kvsim::sim
