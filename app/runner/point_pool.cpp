// app/runner/point_pool.cpp — see point_pool.h.
#include "app/runner/point_pool.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace kvsim::runner {

std::vector<PointOutcome> run_points(const std::vector<const scenarios::ScenarioPoint*>& points, const KindRegistry& kinds,
                                     const RunOptions& options, unsigned jobs,
                                     const std::function<void(std::size_t, std::size_t)>& progress) {
  std::vector<PointOutcome> out(points.size());
  std::atomic<std::size_t> next{0};
  std::size_t done = 0;
  std::mutex progress_mutex;
  auto worker = [&] {
    // Each point has its own engine inside run_point: no state is shared between threads except
    // the outcome slots, each written by exactly one thread.
    for (std::size_t i; (i = next++) < points.size();) {
      try {
        out[i].record = run_point(*points[i], kinds, options, &out[i].rows);
      } catch (...) {
        out[i].error = std::current_exception();
      }
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        progress(++done, points.size());
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 1; t < std::min<std::size_t>(jobs, points.size()); ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return out;
}

}  // namespace kvsim::runner
