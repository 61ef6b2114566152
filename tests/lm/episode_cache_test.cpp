// tests/lm/episode_cache_test.cpp — the shared preparation of episodes: every episode prepared
// once whatever the number of threads asking, the same result for all of them, in episode order,
// and a failure reaching every caller.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "models/lm/episode_cache.h"
#include "models/lm/small_lm.h"

namespace kvsim::models::lm {
namespace {

std::vector<Episode> raw(int n) {
  std::vector<Episode> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)].kind = "episode " + std::to_string(i);
  return v;
}

PreparedEpisode fake_prepare(Episode e, const LmWeights& w) {
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // long enough for the threads to meet
  return PreparedEpisode{std::move(e), 0, SmallLm(w), {}, {}, {}, {}};
}

TEST(EpisodeCache, ThreadsShareThePreparationAndGetOneResult) {
  const LmWeights w = load_small_lm(default_small_lm_path());
  EpisodeCache cache;
  std::atomic<int> makes{0}, prepares{0};
  std::vector<std::shared_ptr<const std::vector<PreparedEpisode>>> got(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      got[t] = cache.get(
          "k", [&] { ++makes; return raw(8); },
          [&](Episode e) { ++prepares; return fake_prepare(std::move(e), w); });
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(makes.load(), 1);
  EXPECT_EQ(prepares.load(), 8);
  for (const auto& g : got) {
    ASSERT_EQ(g, got[0]);  // the same shared list
    ASSERT_EQ(g->size(), 8u);
  }
  for (int i = 0; i < 8; ++i) EXPECT_EQ((*got[0])[static_cast<std::size_t>(i)].episode.kind, "episode " + std::to_string(i));
  // Another key is prepared apart; the first is not prepared again.
  cache.get("other", [] { return raw(1); }, [&](Episode e) { ++prepares; return fake_prepare(std::move(e), w); });
  cache.get("k", [] { return raw(8); }, [&](Episode e) { ++prepares; return fake_prepare(std::move(e), w); });
  EXPECT_EQ(prepares.load(), 9);
}

TEST(EpisodeCache, AFailedPreparationReachesEveryCaller) {
  EpisodeCache cache;
  auto failing = [](Episode e) -> PreparedEpisode {
    if (e.kind == "episode 2") throw std::runtime_error("checkpoint unreadable");
    throw std::runtime_error("not reached in this test's assertions");
  };
  EXPECT_THROW(cache.get("k", [] { return raw(3); }, failing), std::runtime_error);
  EXPECT_THROW(cache.get("k", [] { return raw(3); }, failing), std::runtime_error);
}

}  // namespace
}  // namespace kvsim::models::lm
