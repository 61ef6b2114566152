// tests/sim/engine_test.cpp — event order, determinism, processes, exceptions, frame lifetime.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/engine.h"
#include "sim/sync.h"

namespace kvsim::sim {
namespace {

Task<void> record_at(Engine& e, Duration d, std::vector<std::string>& log, std::string what) {
  co_await e.sleep(d);
  log.push_back(what + "@" + std::to_string(e.now()));
}

TEST(Engine, EventsRunInTimeThenInsertionOrder) {
  Engine e;
  std::vector<std::string> log;
  e.spawn(record_at(e, 30, log, "c"), "c");
  e.spawn(record_at(e, 10, log, "a"), "a");
  e.spawn(record_at(e, 10, log, "b"), "b");  // same time as a, spawned later: runs after a
  e.spawn(record_at(e, 0, log, "z"), "z");
  const RunResult r = e.run();
  EXPECT_EQ(log, (std::vector<std::string>{"z@0", "a@10", "b@10", "c@30"}));
  EXPECT_EQ(r.end_time, 30);
  EXPECT_TRUE(r.parked.empty());
  EXPECT_EQ(e.live_processes(), 0u);
}

Task<int> add_later(Engine& e, int a, int b) {
  co_await e.sleep(5);
  co_return a + b;
}

Task<void> nested(Engine& e, int& out) {
  const int x = co_await add_later(e, 1, 2);
  const int y = co_await add_later(e, x, 10);
  out = y;
}

TEST(Engine, NestedTasksReturnValuesAndAdvanceTime) {
  Engine e;
  int out = 0;
  e.spawn(nested(e, out), "n");
  e.run();
  EXPECT_EQ(out, 13);
  EXPECT_EQ(e.now(), 10);
}

Task<void> thrower(Engine& e) {
  co_await e.sleep(7);
  throw std::runtime_error("boom");
}

Task<void> joiner(Engine& e, Process child, std::string& caught, Time& when) {
  try {
    co_await child.join();
  } catch (const std::runtime_error& ex) {
    caught = ex.what();
    when = e.now();
  }
}

TEST(Engine, ExceptionReachesTheJoiner) {
  Engine e;
  std::string caught;
  Time when = -1;
  Process child = e.spawn(thrower(e), "child");
  e.spawn(joiner(e, child, caught, when), "parent");
  EXPECT_NO_THROW(e.run());
  EXPECT_EQ(caught, "boom");
  EXPECT_EQ(when, 7);
  EXPECT_TRUE(child.failed());
}

TEST(Engine, JoiningAFinishedProcessRethrowsToo) {
  Engine e;
  Process child = e.spawn(thrower(e), "child");
  std::string caught;
  Time when = -1;
  // The joiner starts after the child has already failed.
  auto late = [](Engine& e, Process c, std::string& caught, Time& when) -> Task<void> {
    co_await e.sleep(100);
    co_await joiner(e, c, caught, when);
  };
  e.spawn(late(e, child, caught, when), "late");
  EXPECT_NO_THROW(e.run());
  EXPECT_EQ(caught, "boom");
  EXPECT_EQ(when, 100);
}

TEST(Engine, UnjoinedFailureIsNeverLost) {
  Engine e;
  e.spawn(thrower(e), "lonely");
  try {
    e.run();
    FAIL() << "run() must throw";
  } catch (const ProcessFailure& f) {
    EXPECT_EQ(f.process(), "lonely");
    EXPECT_NE(std::string(f.what()).find("boom"), std::string::npos);
  }
}

Task<void> child_throws_in_nested_task(Engine& e) {
  co_await thrower(e);  // propagates through the awaiting parent frame
}

TEST(Engine, ExceptionsPropagateThroughNestedTasks) {
  Engine e;
  std::string caught;
  Time when = -1;
  Process p = e.spawn(child_throws_in_nested_task(e), "p");
  e.spawn(joiner(e, p, caught, when), "j");
  e.run();
  EXPECT_EQ(caught, "boom");
}

// Counts live instances, to prove that frames (and what they hold) are destroyed.
struct Tracker {
  static inline int alive = 0;
  Tracker() { ++alive; }
  Tracker(const Tracker&) { ++alive; }
  ~Tracker() { --alive; }
};

Task<void> waits_forever(Signal& s) {
  Tracker t;
  co_await s.wait();
}

Task<void> holds_child(Signal& s) {
  Tracker t;
  co_await waits_forever(s);
}

TEST(Engine, SuspendedFramesAreFreedWithTheEngine) {
  Tracker::alive = 0;
  {
    Engine e;
    Signal never(e);
    e.spawn(holds_child(never), "parked");
    const RunResult r = e.run();
    EXPECT_EQ(r.parked, std::vector<std::string>{"parked"});
    EXPECT_EQ(Tracker::alive, 2);
  }
  EXPECT_EQ(Tracker::alive, 0);
}

Task<void> finishes(Engine& e) {
  Tracker t;
  co_await e.sleep(1);
}

TEST(Engine, FinishedFramesAreFreedImmediately) {
  Tracker::alive = 0;
  Engine e;
  for (int i = 0; i < 100; ++i) e.spawn(finishes(e), "p" + std::to_string(i));
  e.run();
  EXPECT_EQ(Tracker::alive, 0);
  EXPECT_EQ(e.live_processes(), 0u);
}

Task<void> spawner(Engine& e, std::vector<std::string>& log) {
  std::vector<Process> kids;
  for (int i = 0; i < 3; ++i) kids.push_back(e.spawn(record_at(e, 10 * (3 - i), log, "k" + std::to_string(i)), "k"));
  co_await join_all(kids);
  log.push_back("joined@" + std::to_string(e.now()));
}

TEST(Engine, SpawnAndJoinChildren) {
  Engine e;
  std::vector<std::string> log;
  e.spawn(spawner(e, log), "parent");
  e.run();
  EXPECT_EQ(log, (std::vector<std::string>{"k2@10", "k1@20", "k0@30", "joined@30"}));
}

TEST(Engine, RunUntilStopsAndResumes) {
  Engine e;
  std::vector<std::string> log;
  e.spawn(record_at(e, 10, log, "a"), "a");
  e.spawn(record_at(e, 50, log, "b"), "b");
  e.run(20);
  EXPECT_EQ(log.size(), 1u);
  e.run();
  EXPECT_EQ(log.size(), 2u);
}

// A little random workload: the same seed must give the same timeline, span for span.
Task<void> random_worker(Engine& e, int id) {
  Rng rng = e.random("worker/" + std::to_string(id));
  for (int i = 0; i < 50; ++i) {
    const Time start = e.now();
    co_await e.sleep(static_cast<Duration>(uniform_below(rng, 1000)));
    e.timeline().record(e.current_process_name(), "cpu", start, e.now(), i, "step");
  }
}

std::vector<Span> run_random(std::uint64_t seed) {
  Engine e(seed);
  e.timeline().keep_spans(true);
  for (int i = 0; i < 8; ++i) e.spawn(random_worker(e, i), "w" + std::to_string(i));
  e.run();
  return e.timeline().spans();
}

bool same(const std::vector<Span>& a, const std::vector<Span>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].process != b[i].process || a[i].start != b[i].start || a[i].end != b[i].end || a[i].bytes != b[i].bytes)
      return false;
  }
  return true;
}

TEST(Engine, SameSeedGivesIdenticalTimeline) {
  const auto a = run_random(42), b = run_random(42), c = run_random(43);
  EXPECT_EQ(a.size(), 400u);
  EXPECT_TRUE(same(a, b));
  EXPECT_FALSE(same(a, c));
}

TEST(Engine, EnginesAreIndependentObjects) {
  // Two engines interleaved in one thread do not see each other's time or events.
  Engine e1(1), e2(2);
  std::vector<std::string> l1, l2;
  e1.spawn(record_at(e1, 5, l1, "x"), "x");
  e2.spawn(record_at(e2, 9, l2, "y"), "y");
  e2.run();
  e1.run();
  EXPECT_EQ(l1, std::vector<std::string>{"x@5"});
  EXPECT_EQ(l2, std::vector<std::string>{"y@9"});
}

}  // namespace
}  // namespace kvsim::sim
