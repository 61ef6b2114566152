// app/runner/point_pool.h — the one worker pool that runs points: `kvsim sweep` and `kvsim
// reproduce` both hand it their points.
//
// Contract: every point runs through run_point() on one of `jobs` threads (the calling thread is
// one of them), taking the next point by descending Kind::relative_cost, index order among equal
// costs (longest first keeps every worker busy to the end; an executor on MPI ranks may take
// index order); each point's record, table rows or error lands in its own slot, so the outcome
// depends neither on the thread count nor on the order. `hooks.finished`, when given, is called
// after each point, serialized (one call at a time, on the thread that ran the point), with the
// point's position in `points`, its outcome and the number done so far.
// When `hooks.stop` becomes true no further point is started; points already running finish
// (their slots are filled; the others stay empty and are flagged `started == false`).
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "app/runner/run_point.h"

namespace kvsim::runner {

struct PointOutcome {
  results::RunRecord record;
  std::vector<results::ReproRow> rows;
  std::exception_ptr error;  // set when the point failed
  bool started = false;      // false only for points a stop request kept from starting
};

// The message of a point's error (what() of a std::exception, else "unknown error").
std::string error_message(const std::exception_ptr& error);

struct PoolHooks {
  std::function<void(std::size_t position, PointOutcome& outcome, std::size_t done)> finished;
  const std::atomic<bool>* stop = nullptr;
};

// What runs a list of points with hooks: run_points on local threads, or another pool (MPI ranks)
// with the same contract.
using PointExecutor =
    std::function<std::vector<PointOutcome>(const std::vector<const scenarios::ScenarioPoint*>&, const PoolHooks&)>;

std::vector<PointOutcome> run_points(const std::vector<const scenarios::ScenarioPoint*>& points, const KindRegistry& kinds,
                                     const RunOptions& options, unsigned jobs, const PoolHooks& hooks = {});

}  // namespace kvsim::runner
