// models/lm/episode_cache.h — prepared episodes shared by the points of a sweep, prepared by
// every thread that needs them.
//
// Contract: get(key, make, prepare) returns the episodes of `key`, prepared once per cache:
// `make` builds the raw episodes (called once, under the cache's lock: it must be cheap and
// deterministic), `prepare` prefills one (called outside the lock). A thread that asks for a key
// whose episodes are being prepared takes the next unprepared episode and prepares it, then waits
// for the rest, so the workers of a sweep share a slow preparation instead of idling on it; the
// result does not depend on which thread prepared which episode. An exception from `prepare` is
// rethrown to every caller of that key.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "models/lm/policy_eval.h"

namespace kvsim::models::lm {

class EpisodeCache {
 public:
  using Make = std::function<std::vector<Episode>()>;
  using Prepare = std::function<PreparedEpisode(Episode)>;
  std::shared_ptr<const std::vector<PreparedEpisode>> get(const std::string& key, const Make& make, const Prepare& prepare);

 private:
  struct Entry {
    std::vector<Episode> raw;
    std::vector<std::optional<PreparedEpisode>> ready;
    std::size_t next = 0, done = 0;
    std::exception_ptr error;
    std::shared_ptr<const std::vector<PreparedEpisode>> result;
    std::condition_variable finished;
  };
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
};

}  // namespace kvsim::models::lm
