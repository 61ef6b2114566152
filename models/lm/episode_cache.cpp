// models/lm/episode_cache.cpp — shared preparation of episodes.
#include "models/lm/episode_cache.h"

namespace kvsim::models::lm {

std::shared_ptr<const std::vector<PreparedEpisode>> EpisodeCache::get(const std::string& key, const Make& make,
                                                                      const Prepare& prepare) {
  std::unique_lock lock(mu_);
  std::shared_ptr<Entry>& slot = entries_[key];
  if (!slot) {
    auto entry = std::make_shared<Entry>();
    entry->raw = make();
    entry->ready.resize(entry->raw.size());
    slot = std::move(entry);
  }
  const std::shared_ptr<Entry> e = slot;
  while (e->next < e->raw.size()) {
    const std::size_t i = e->next++;
    Episode raw = std::move(e->raw[i]);
    lock.unlock();
    std::optional<PreparedEpisode> p;
    std::exception_ptr error;
    try {
      p = prepare(std::move(raw));
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    e->ready[i] = std::move(p);
    if (error && !e->error) e->error = error;
    ++e->done;
    if (e->done == e->raw.size()) e->finished.notify_all();
  }
  e->finished.wait(lock, [&] { return e->done == e->raw.size(); });
  if (e->error) std::rethrow_exception(e->error);
  if (!e->result) {
    auto all = std::make_shared<std::vector<PreparedEpisode>>();
    all->reserve(e->ready.size());
    for (auto& p : e->ready) all->push_back(std::move(*p));
    e->ready.clear();
    e->result = std::move(all);
  }
  return e->result;
}

}  // namespace kvsim::models::lm
