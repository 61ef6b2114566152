// sim/engine.cpp — event loop and process lifetime.
#include "sim/engine.h"

#include <algorithm>

namespace kvsim::sim {

namespace {
const std::string kEngineName = "engine";
}

namespace detail {
void on_process_root_finished(ProcessState* p, std::exception_ptr error) noexcept {
  p->finished = true;
  p->error = std::move(error);
  Engine& e = *p->engine;
  for (const Waiter& w : p->joiners) e.schedule(e.now(), w);
  p->joiners.clear();
  e.just_finished_.push_back(p);
}
}  // namespace detail

void Process::JoinAwaiter::await_suspend(std::coroutine_handle<> h) {
  s->joiners.push_back(Waiter{h, s->engine->current_process()});
}

Engine::Engine(std::uint64_t seed) : random_(seed) { queue_.reserve(1024); }

Engine::~Engine() {
  // Suspended processes are destroyed here: their Task owns the frame, and destroying a frame
  // destroys the child Tasks it holds, so nothing leaks and nothing is destroyed twice.
  queue_.clear();
  for (auto& [_, p] : live_) p->root = Task<void>();
  live_.clear();
}

const std::string& Engine::current_process_name() const {
  return current_ ? current_->name : kEngineName;
}

void Engine::schedule(Time t, Waiter w) {
  if (t < now_) throw std::logic_error("schedule: time in the past");
  queue_.push(t, next_seq_++, EventBody{nullptr, w.handle.address(), reinterpret_cast<std::uintptr_t>(w.process)});
}

void Engine::schedule_call(Time t, Callback fn, void* ctx, std::uint64_t arg) {
  if (t < now_) throw std::logic_error("schedule_call: time in the past");
  queue_.push(t, next_seq_++, EventBody{fn, ctx, arg});
}

Process Engine::spawn(Task<void> task, std::string name) {
  auto state = std::make_shared<ProcessState>();
  state->engine = this;
  state->name = std::move(name);
  state->id = next_process_id_++;
  state->root = std::move(task);
  state->root.handle().promise().root_of = state.get();
  schedule(now_, Waiter{state->root.handle(), state.get()});
  live_.emplace(state->id, state);
  return Process(state);
}

void Engine::reap_finished() {
  for (ProcessState* p : just_finished_) {
    auto it = live_.find(p->id);
    std::shared_ptr<ProcessState> keep = std::move(it->second);
    live_.erase(it);
    keep->root = Task<void>();  // frees the frame
    if (keep->error) failed_.push_back(std::move(keep));
  }
  just_finished_.clear();
}

RunResult Engine::run(Time until) {
  RunResult result;
  EventBody ev;
  while (!queue_.empty() && queue_.top_time() <= until) {
    now_ = queue_.pop(ev);
    ++result.events;
    if (ev.fn == nullptr) {
      current_ = reinterpret_cast<ProcessState*>(static_cast<std::uintptr_t>(ev.b));
      std::coroutine_handle<>::from_address(ev.a).resume();
      current_ = nullptr;
      if (!just_finished_.empty()) reap_finished();
    } else {
      ev.fn(ev.a, ev.b);
    }
  }
  events_total_ += result.events;
  result.end_time = now_;
  if (queue_.empty()) {
    for (const auto& [_, p] : live_) result.parked.push_back(p->name);
    std::sort(result.parked.begin(), result.parked.end());
  }
  for (const auto& p : failed_) {
    if (!p->error_observed) {
      p->error_observed = true;
      std::string what = "unknown exception";
      try { std::rethrow_exception(p->error); }
      catch (const std::exception& ex) { what = ex.what(); }
      catch (...) {}
      throw ProcessFailure(p->name, what, p->error);
    }
  }
  failed_.clear();
  return result;
}

}  // namespace kvsim::sim
