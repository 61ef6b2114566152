// tests/sim/sync_test.cpp — signals, mailboxes, barriers.
#include <gtest/gtest.h>

#include <string>

#include "sim/fifo.h"
#include "sim/sync.h"

namespace kvsim::sim {
namespace {

Task<void> wait_signal(Engine& e, Signal& s, std::vector<Time>& woke) {
  co_await s.wait();
  woke.push_back(e.now());
}

Task<void> fire_at(Engine& e, Signal& s, Duration d) {
  co_await e.sleep(d);
  s.trigger();
}

TEST(Signal, WakesAllWaitersAtTriggerTime) {
  Engine e;
  Signal s(e);
  std::vector<Time> woke;
  for (int i = 0; i < 3; ++i) e.spawn(wait_signal(e, s, woke), "w");
  e.spawn(fire_at(e, s, 42), "f");
  e.run();
  EXPECT_EQ(woke, (std::vector<Time>{42, 42, 42}));
  // Waiting after the trigger does not suspend.
  e.spawn(wait_signal(e, s, woke), "late");
  e.run();
  EXPECT_EQ(woke.size(), 4u);
}

Task<void> consumer(Engine& e, Mailbox<int>& m, std::vector<std::pair<int, Time>>& got, int n) {
  for (int i = 0; i < n; ++i) got.emplace_back(co_await m.get(), e.now());
}

Task<void> producer(Engine& e, Mailbox<int>& m) {
  m.put(1);
  m.put(2);
  co_await e.sleep(10);
  m.put(3);
}

TEST(Mailbox, FifoAndBlocksWhenEmpty) {
  Engine e;
  Mailbox<int> m(e);
  std::vector<std::pair<int, Time>> got;
  e.spawn(consumer(e, m, got, 3), "c");
  e.spawn(producer(e, m), "p");
  e.run();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], std::make_pair(1, Time{0}));
  EXPECT_EQ(got[1], std::make_pair(2, Time{0}));
  EXPECT_EQ(got[2], std::make_pair(3, Time{10}));
}

TEST(Mailbox, WaitingGettersAreServedInOrder) {
  Engine e;
  Mailbox<int> m(e);
  std::vector<std::pair<int, Time>> a, b;
  e.spawn(consumer(e, m, a, 1), "a");
  e.spawn(consumer(e, m, b, 1), "b");
  e.spawn(producer(e, m), "p");
  e.run();
  EXPECT_EQ(a.at(0).first, 1);
  EXPECT_EQ(b.at(0).first, 2);
  EXPECT_EQ(m.size(), 1u);  // 3 stays queued
}

Task<void> arrive(Engine& e, Barrier& b, Duration d, std::vector<Time>& out) {
  co_await e.sleep(d);
  co_await b.arrive_and_wait();
  out.push_back(e.now());
  co_await e.sleep(d);
  co_await b.arrive_and_wait();  // cyclic: a second generation
  out.push_back(e.now());
}

TEST(Barrier, ReleasesWhenTheLastArrivesAndIsCyclic) {
  Engine e;
  Barrier b(e, 3);
  std::vector<Time> out;
  e.spawn(arrive(e, b, 5, out), "a");
  e.spawn(arrive(e, b, 20, out), "b");
  e.spawn(arrive(e, b, 1, out), "c");
  e.run();
  EXPECT_EQ(out, (std::vector<Time>{20, 20, 20, 40, 40, 40}));
  EXPECT_EQ(b.generation(), 2u);
}

// The queue under mailboxes and links: FIFO order across growth while its head has wrapped.
TEST(Fifo, KeepsOrderWhenItGrowsAfterWrapping) {
  Fifo<std::string> q;
  int pushed = 0, taken = 0;
  for (int i = 0; i < 6; ++i) q.push_back(std::to_string(pushed++));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(q.take_front(), std::to_string(taken++));  // head moves on
  for (int i = 0; i < 20; ++i) q.push_back(std::to_string(pushed++));           // wraps, then grows twice
  EXPECT_EQ(q.size(), 21u);
  EXPECT_EQ(q[1], std::to_string(taken + 1));
  q.pop_front();
  ++taken;
  while (!q.empty()) EXPECT_EQ(q.take_front(), std::to_string(taken++));
  EXPECT_EQ(taken, pushed);
}

}  // namespace
}  // namespace kvsim::sim
