// app/runner/point_pool.h — the one worker pool that runs points: `kvsim sweep` and `kvsim
// reproduce` both hand it their points.
//
// Contract: every point runs through run_point() on one of `jobs` threads (the calling thread is
// one of them), taking the next point in index order; each point's record, table rows or error
// lands in its own slot, so the outcome does not depend on the thread count. `progress`, when
// given, is called after each point (serialized) with the number done and the total.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <vector>

#include "app/runner/run_point.h"

namespace kvsim::runner {

struct PointOutcome {
  results::RunRecord record;
  std::vector<results::ReproRow> rows;
  std::exception_ptr error;  // set when the point failed
};

std::vector<PointOutcome> run_points(const std::vector<const scenarios::ScenarioPoint*>& points, const KindRegistry& kinds,
                                     const RunOptions& options, unsigned jobs,
                                     const std::function<void(std::size_t done, std::size_t total)>& progress = {});

}  // namespace kvsim::runner
