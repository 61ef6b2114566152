// app/runner/point_pool.cpp — see point_pool.h.
#include "app/runner/point_pool.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <numeric>
#include <thread>

namespace kvsim::runner {

std::string error_message(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

std::vector<PointOutcome> run_points(const std::vector<const scenarios::ScenarioPoint*>& points, const KindRegistry& kinds,
                                     const RunOptions& options, unsigned jobs, const PoolHooks& hooks) {
  std::vector<PointOutcome> out(points.size());
  std::vector<double> cost(points.size(), 1.0);
  for (std::size_t i = 0; i < points.size(); ++i)
    if (const Kind* kind = kinds.find(points[i]->kind())) cost[i] = kind->relative_cost(*points[i]);
  std::vector<std::size_t> order(points.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return cost[a] > cost[b]; });
  std::atomic<std::size_t> next{0};
  std::size_t done = 0;
  std::mutex finished_mutex;
  std::exception_ptr hook_error;
  auto worker = [&] {
    // Each point has its own engine inside run_point: no state is shared between threads except
    // the outcome slots, each written by exactly one thread.
    for (std::size_t n; (n = next++) < points.size();) {
      const std::size_t i = order[n];
      if (hooks.stop && hooks.stop->load()) return;
      out[i].started = true;
      try {
        out[i].record = run_point(*points[i], kinds, options, &out[i].rows);
      } catch (...) {
        out[i].error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(finished_mutex);
      ++done;
      if (!hooks.finished || hook_error) continue;
      try {
        hooks.finished(i, out[i], done);
      } catch (...) {
        // Why stop everything: the hook keeps the campaign's results (a point file that cannot
        // be written); running on would compute points nobody keeps.
        hook_error = std::current_exception();
        next = points.size();
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 1; t < std::min<std::size_t>(jobs, points.size()); ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (hook_error) std::rethrow_exception(hook_error);
  return out;
}

}  // namespace kvsim::runner
