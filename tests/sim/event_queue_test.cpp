// tests/sim/event_queue_test.cpp — the queue pops in exact (time, sequence) order.
#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "sim/event_queue.h"
#include "sim/random.h"

namespace kvsim::sim {
namespace {

TEST(EventQueue, PopsInTimeThenSequenceOrderUnderRandomInterleaving) {
  EventQueue<int> q;
  Rng rng = RandomStreams(5).stream("q");
  std::vector<std::tuple<Time, std::uint64_t, int>> expected, got;
  std::uint64_t seq = 0;
  Time now = 0;
  int body = 0;
  for (int round = 0; round < 2000; ++round) {
    const int pushes = static_cast<int>(uniform_below(rng, 4));
    for (int i = 0; i < pushes; ++i) {
      const Time t = now + static_cast<Time>(uniform_below(rng, 5));  // many ties
      q.push(t, seq, body);
      expected.emplace_back(t, seq, body);
      ++seq;
      ++body;
    }
    if (!q.empty() && uniform_below(rng, 3) != 0) {
      int b = -1;
      now = q.pop(b);
      got.emplace_back(now, 0, b);
    }
  }
  while (!q.empty()) {
    int b = -1;
    const Time t = q.pop(b);
    got.emplace_back(t, 0, b);
  }
  ASSERT_EQ(got.size(), expected.size());
  // Times never go backwards, and equal times come out in push order.
  for (std::size_t i = 1; i < got.size(); ++i) {
    ASSERT_LE(std::get<0>(got[i - 1]), std::get<0>(got[i]));
    if (std::get<0>(got[i - 1]) == std::get<0>(got[i])) {
      ASSERT_LT(std::get<2>(got[i - 1]), std::get<2>(got[i]));
    }
  }
}

TEST(EventQueue, HugeTimesKeepTheirOrder) {
  EventQueue<int> q;
  q.push(kTimeMax, 0, 1);
  q.push(kTimeMax - 1, 1, 2);
  q.push(0, 2, 3);
  int b = 0;
  EXPECT_EQ(q.pop(b), 0);
  EXPECT_EQ(q.pop(b), kTimeMax - 1);
  EXPECT_EQ(q.pop(b), kTimeMax);
  EXPECT_EQ(b, 1);
}

}  // namespace
}  // namespace kvsim::sim
