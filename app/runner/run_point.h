// app/runner/run_point.h — runs one resolved scenario point and returns its result record.
//
// Contract: a fresh engine per point, seeded with the point's seed; the record carries the
// resolved scenario text and hash, the kind's metrics and series, the wall time and the
// timeline summary. Safe to call from several threads at once for different points.
#pragma once

#include <string>

#include "app/runner/kind.h"
#include "results/records.h"

namespace kvsim::runner {

struct RunOptions {
  // When not empty, the engine keeps every span and writes them here atomically (when there are
  // any); otherwise only the per-resource summary is kept, in memory that does not grow with time.
  std::string chrome_trace_path;
};

results::RunRecord run_point(const scenarios::ScenarioPoint& point, const KindRegistry& kinds,
                             const RunOptions& options = {}, std::vector<results::ReproRow>* table = nullptr);

// "run-NNNN": the group of sweep point `index` under /runs (and /failures).
std::string group_name(std::size_t index);

// Writes `text` to `path` through a temporary file and a rename (never a truncated file).
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace kvsim::runner
