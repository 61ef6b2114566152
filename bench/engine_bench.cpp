// bench/engine_bench.cpp — engine throughput: events per second (coroutine resume + queue
// operation), link messages per second, and the scenario path as a user runs it (the ping-pong
// of scenarios/bench/pingpong.toml: messages per second in process, and wall time and peak
// memory of `kvsim run` as a child process). Figures go in README's "Performance" section.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "app/kinds/kinds.h"
#include "app/runner/run_point.h"

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
    e.timeline().keep_spans(state.range(0) != 0);
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
    Link l(e, LinkConfig{"lan", 125e6, 250'000'000, 0});
    e.spawn(stream_sender(l, n), "tx");
    e.spawn(stream_receiver(l, n), "rx");
    e.run();
    messages += l.stats(0).messages;
  }
  state.counters["messages/s"] = benchmark::Counter(static_cast<double>(messages), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LinkStream)->Unit(benchmark::kMillisecond);

const std::string kPingPong = std::string(KVSIM_SOURCE_DIR) + "/scenarios/bench/pingpong.toml";

// The scenario path in process: resolve, run the exchange kind on a fresh engine, summarize.
void BM_ScenarioPingPong(benchmark::State& state) {
  const runner::KindRegistry kinds = runner::builtin_kinds();
  const auto points = scenarios::resolve(kPingPong, {"workload.rounds=" + std::to_string(state.range(0))}, kinds.lookup());
  double messages = 0;
  for (auto _ : state) {
    const results::RunRecord r = runner::run_point(points.at(0), kinds);
    for (const auto& m : r.metrics) if (m.name == "messages_total") messages += m.value;
  }
  state.counters["messages/s"] = benchmark::Counter(messages, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScenarioPingPong)->Arg(1'000'000)->ArgName("rounds")->Unit(benchmark::kMillisecond);

// `kvsim run pingpong.toml` as a child process: wall time and its peak resident memory
// (ru_maxrss of the child, so nothing of this benchmark process is counted).
void BM_KvsimRunPingPong(benchmark::State& state) {
  const std::string out = (std::filesystem::temp_directory_path() / ("kvsim-bench-" + std::to_string(::getpid()) + ".h5")).string();
  std::vector<std::string> args = {KVSIM_BINARY, "run", kPingPong, "--set", "workload.rounds=" + std::to_string(state.range(0)),
                                   "-o", out};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  double peak_mib = 0, seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    pid_t pid = 0;
    posix_spawn_file_actions_t quiet;  // the run's report is not part of the benchmark's output
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    const int spawned = posix_spawn(&pid, KVSIM_BINARY, &quiet, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&quiet);
    if (spawned != 0) {
      state.SkipWithError("cannot start kvsim");
      return;
    }
    int status = 0;
    rusage usage{};
    ::wait4(pid, &status, 0, &usage);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      state.SkipWithError("kvsim run failed");
      return;
    }
    peak_mib = std::max(peak_mib, static_cast<double>(usage.ru_maxrss) / 1024.0);  // KiB on Linux
  }
  std::filesystem::remove(out);
  state.counters["peak_MiB"] = peak_mib;
  state.counters["messages/s"] = 2.0 * static_cast<double>(state.range(0)) * static_cast<double>(state.iterations()) / seconds;
}
BENCHMARK(BM_KvsimRunPingPong)->Arg(1'000'000)->Arg(10'000'000)->ArgName("rounds")->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kvsim::sim
