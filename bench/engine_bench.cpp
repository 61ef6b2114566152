// bench/engine_bench.cpp — engine throughput: events per second (coroutine resume + queue
// operation) and link messages per second. Figures go in README's "Performance" section.
#include <benchmark/benchmark.h>

#include "sim/engine.h"
#include "sim/link.h"
#include "sim/sync.h"

namespace kvsim::sim {
namespace {

Task<void> sleeper(Engine& e, std::int64_t steps, Duration period) {
  for (std::int64_t i = 0; i < steps; ++i) co_await e.sleep(period);
}

// Each event: one pop from a heap of `processes` pending events, one coroutine resume, one push.
void BM_EngineEvents(benchmark::State& state) {
  const auto processes = state.range(0);
  const std::int64_t steps = 1'000'000 / processes;
  std::uint64_t events = 0;
  for (auto _ : state) {
    Engine e;
    for (std::int64_t p = 0; p < processes; ++p) e.spawn(sleeper(e, steps, 1 + p % 7), "p");
    events += e.run().events;
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EngineEvents)->Arg(1)->Arg(16)->Arg(1024)->Unit(benchmark::kMillisecond);

Task<void> ping_sender(Link& l, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    Message m;
    m.charged_bytes = 64;
    l.send(0, std::move(m));
    (void)co_await l.receive(0);  // wait for the pong
  }
}

Task<void> pong(Link& l, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    Message m = co_await l.receive(1);
    m.charged_bytes = 64;
    l.send(1, std::move(m));
  }
}

// A ping-pong: every message is a send, a delivery event, a mailbox hand-off and a resume.
void BM_LinkMessages(benchmark::State& state) {
  const std::int64_t n = 100'000;
  std::uint64_t messages = 0;
  for (auto _ : state) {
    Engine e;
    e.timeline().set_enabled(state.range(0) != 0);
    Link l(e, LinkConfig{"lan", 125e6, 250'000'000, 0});
    e.spawn(ping_sender(l, n), "ping");
    e.spawn(pong(l, n), "pong");
    e.run();
    messages += l.stats(0).messages + l.stats(1).messages;
  }
  state.counters["messages/s"] = benchmark::Counter(static_cast<double>(messages), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LinkMessages)->Arg(0)->Arg(1)->ArgName("timeline")->Unit(benchmark::kMillisecond);

// Streaming: one sender pushes a window of messages without waiting (buffered send).
Task<void> stream_sender(Link& l, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    Message m;
    m.charged_bytes = 1024;
    l.send(0, std::move(m));
  }
  co_return;
}
Task<void> stream_receiver(Link& l, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) (void)co_await l.receive(1);
}

void BM_LinkStream(benchmark::State& state) {
  const std::int64_t n = 100'000;
  std::uint64_t messages = 0;
  for (auto _ : state) {
    Engine e;
    e.timeline().set_enabled(false);
    Link l(e, LinkConfig{"lan", 125e6, 250'000'000, 0});
    e.spawn(stream_sender(l, n), "tx");
    e.spawn(stream_receiver(l, n), "rx");
    e.run();
    messages += l.stats(0).messages;
  }
  state.counters["messages/s"] = benchmark::Counter(static_cast<double>(messages), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LinkStream)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kvsim::sim

BENCHMARK_MAIN();
