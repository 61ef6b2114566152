// sim/engine.h — the discrete-event engine: virtual clock, event queue, processes.
//
// Contract:
// - An Engine is a plain object: no globals, no singletons. Many engines may live in one process
//   and run on different threads; one engine is used by one thread at a time.
// - Events run in (time, insertion sequence) order. Two events at the same picosecond run in the
//   order they were scheduled, so a run is a pure function of its inputs and seed.
// - A process is a Task<void> started by spawn(). It runs until it finishes or the engine is
//   destroyed; its frame is freed when it finishes (after the resume that finished it returns)
//   or, for a process still suspended, when the engine is destroyed.
// - An exception escaping a process is delivered to whoever joins it. If no one has observed it
//   by the end of run(), run() throws ProcessFailure naming the process: errors are never lost.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/event_queue.h"
#include "sim/random.h"
#include "sim/task.h"
#include "sim/time.h"
#include "sim/timeline.h"

namespace kvsim::sim {

class Engine;

// A coroutine suspended on something, and the process it belongs to.
struct Waiter {
  std::coroutine_handle<> handle;
  ProcessState* process;
};

struct ProcessState {
  Engine* engine = nullptr;
  std::string name;
  std::uint64_t id = 0;
  Task<void> root;  // owns the frame until the process finishes
  bool finished = false;
  std::exception_ptr error;
  bool error_observed = false;
  std::vector<Waiter> joiners;
};

// Thrown by Engine::run when a process failed and nobody joined it.
class ProcessFailure : public std::runtime_error {
 public:
  ProcessFailure(std::string process, const std::string& what, std::exception_ptr cause)
      : std::runtime_error("process '" + process + "' failed: " + what),
        process_(std::move(process)), cause_(std::move(cause)) {}
  const std::string& process() const { return process_; }
  const std::exception_ptr& cause() const { return cause_; }

 private:
  std::string process_;
  std::exception_ptr cause_;
};

// A handle to a spawned process; cheap to copy.
class Process {
 public:
  Process() = default;
  explicit Process(std::shared_ptr<ProcessState> s) : s_(std::move(s)) {}
  bool done() const { return s_ && s_->finished; }
  const std::string& name() const { return s_->name; }
  bool failed() const { return s_ && s_->finished && s_->error; }

  // co_await process.join(): resumes when the process has finished; rethrows its exception.
  struct JoinAwaiter {
    ProcessState* s;
    bool await_ready() const noexcept { return s->finished; }
    void await_suspend(std::coroutine_handle<> h);
    void await_resume() const {
      if (s->error) { s->error_observed = true; std::rethrow_exception(s->error); }
    }
  };
  JoinAwaiter join() const { return JoinAwaiter{s_.get()}; }

 private:
  std::shared_ptr<ProcessState> s_;
};

struct RunResult {
  std::uint64_t events = 0;              // events executed by this run() call
  Time end_time = 0;                     // virtual time when the run stopped
  std::vector<std::string> parked;       // processes still suspended when the queue ran dry
};

class Engine {
 public:
  explicit Engine(std::uint64_t seed = 0);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Time now() const { return now_; }
  std::uint64_t seed() const { return random_.seed(); }
  Timeline& timeline() { return timeline_; }
  const Timeline& timeline() const { return timeline_; }
  // The random stream of a named component, derived from this engine's seed.
  Rng random(std::string_view component) const { return random_.stream(component); }

  // Starts `task` as a new process at the current time (after already-scheduled events at now).
  Process spawn(Task<void> task, std::string name);

  // Runs events until the queue is empty or the next event is later than `until`.
  RunResult run(Time until = kTimeMax);

  // The process whose code is executing now ("engine" outside any process).
  const std::string& current_process_name() const;
  ProcessState* current_process() const { return current_; }

  // --- awaitables -------------------------------------------------------------------------------
  struct SleepAwaiter {
    Engine* e;
    Time at;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { e->schedule(at, Waiter{h, e->current_}); }
    void await_resume() const noexcept {}
  };
  // co_await engine.sleep(d): resumes d picoseconds later. sleep(0) yields to other events at now.
  SleepAwaiter sleep(Duration d) { return SleepAwaiter{this, advance(now_, d)}; }
  SleepAwaiter sleep_until(Time t) { return SleepAwaiter{this, t < now_ ? now_ : t}; }

  // --- low-level scheduling (for resources in sim/) ---------------------------------------------
  void schedule(Time t, Waiter w);
  using Callback = void (*)(void* ctx, std::uint64_t arg);
  // Calls fn(ctx, arg) at time t; ctx must outlive the event. No allocation.
  void schedule_call(Time t, Callback fn, void* ctx, std::uint64_t arg);

  std::uint64_t events_executed() const { return events_total_; }
  std::size_t live_processes() const { return live_.size(); }

 private:
  friend void detail::on_process_root_finished(ProcessState*, std::exception_ptr) noexcept;

  struct EventBody {
    Callback fn;  // null: resume the coroutine at `a` in process `b`
    void* a;
    std::uint64_t b;
  };
  void reap_finished();

  Time now_ = 0;
  std::uint64_t next_seq_ = 0;
  std::uint64_t next_process_id_ = 0;
  std::uint64_t events_total_ = 0;
  EventQueue<EventBody> queue_;
  ProcessState* current_ = nullptr;
  std::unordered_map<std::uint64_t, std::shared_ptr<ProcessState>> live_;
  std::vector<ProcessState*> just_finished_;
  std::vector<std::shared_ptr<ProcessState>> failed_;
  RandomStreams random_;
  Timeline timeline_;
};

}  // namespace kvsim::sim
