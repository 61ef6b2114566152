// app/runner/run_point.cpp — one point: engine, kind, record.
#include "app/runner/run_point.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kvsim::runner {

void write_file_atomically(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path dest(path);
  const fs::path dir = dest.has_parent_path() ? dest.parent_path() : fs::path(".");
  const std::string temp = (dir / ("." + dest.filename().string() + ".tmp-" + std::to_string(::getpid()))).string();
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write '" + path + "': cannot create '" + temp + "'");
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(temp, ec);
      throw std::runtime_error("cannot write '" + path + "' (disk full?)");
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::error_code ec;
    fs::remove(temp, ec);
    throw std::runtime_error("cannot rename '" + temp + "' to '" + path + "'");
  }
}

std::string group_name(std::size_t index) {
  char group[32];
  std::snprintf(group, sizeof group, "run-%04zu", index);
  return group;
}

results::RunRecord run_point(const scenarios::ScenarioPoint& point, const KindRegistry& kinds,
                             const RunOptions& options, std::vector<results::ReproRow>* table) {
  const Kind* kind = kinds.find(point.kind());
  if (!kind) throw std::logic_error("no kind '" + point.kind() + "' (the loader should have refused it)");

  sim::Engine engine(point.seed());
  engine.timeline().keep_spans(!options.chrome_trace_path.empty());
  const auto wall_start = std::chrono::steady_clock::now();
  KindOutput out = kind->run(point, engine);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  results::RunRecord r;
  r.group = group_name(point.index);
  r.name = point.name();
  r.kind = point.kind();
  r.scenario_file = point.file;
  r.scenario_text = point.text();
  r.scenario_hash = point.hash();
  r.seed = point.seed();
  r.sweep_index = point.index;
  r.sweep_label = point.label();
  r.sweep_values = point.assignments;
  r.metrics = std::move(out.metrics);
  r.wall_time_s = wall;
  r.series = std::move(out.series);
  if (table) *table = std::move(out.table);
  for (const sim::ResourceSummary& s : engine.timeline().summarize()) {
    r.timeline.push_back({s.resource, s.spans, sim::to_seconds(s.busy), s.bytes, sim::to_seconds(s.first_start),
                          sim::to_seconds(s.last_end)});
  }
  if (!options.chrome_trace_path.empty() && !engine.timeline().spans().empty()) {
    std::ostringstream json;
    engine.timeline().write_chrome_trace(json);
    write_file_atomically(options.chrome_trace_path, json.str());
  }
  return r;
}

}  // namespace kvsim::runner
