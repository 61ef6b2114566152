// sim/task.h — Task<T>: the coroutine type every simulated process and protocol step is written in.
//
// Contract:
// - A Task is lazy: creating it runs nothing. It starts when awaited (`co_await child()`), which
//   transfers control symmetrically to the child and back (no stack growth), or when handed to
//   Engine::spawn as the root of a new process.
// - A Task owns its coroutine frame: destroying the Task destroys the frame, and with it every
//   child Task the frame was awaiting. Frames are therefore freed exactly once, when done or when
//   the engine that holds the suspended process is torn down.
// - An exception thrown in a child is rethrown in the awaiting parent at the co_await; an
//   exception escaping a process root is kept by the engine for the joiner (see engine.h).
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace kvsim::sim {

struct ProcessState;

namespace detail {

struct PromiseBase {
  std::coroutine_handle<> continuation;  // the awaiting parent; null for a process root
  ProcessState* root_of = nullptr;       // set only on a process's root frame
  std::exception_ptr error;

  std::suspend_always initial_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

// Called when a process's root frame reaches its final suspend point (engine.cpp).
void on_process_root_finished(ProcessState* process, std::exception_ptr error) noexcept;

struct FinalAwaiter {
  bool await_ready() const noexcept { return false; }
  template <class Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) noexcept {
    PromiseBase& p = h.promise();
    if (p.continuation) return p.continuation;
    // Why the frame is not destroyed here: the engine reaps it after resume() returns, so no
    // code ever runs on a destroyed frame.
    if (p.root_of) on_process_root_finished(p.root_of, p.error);
    return std::noop_coroutine();
  }
  void await_resume() const noexcept {}
};

}  // namespace detail

template <class T = void>
class [[nodiscard]] Task {
 public:
  struct promise_type : detail::PromiseBase {
    std::optional<T> value;
    Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    detail::FinalAwaiter final_suspend() noexcept { return {}; }
    template <class U>
    void return_value(U&& v) { value.emplace(std::forward<U>(v)); }
  };

  Task() = default;
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) { reset(); h_ = std::exchange(o.h_, {}); }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
    h_.promise().continuation = parent;
    return h_;
  }
  T await_resume() {
    auto& p = h_.promise();
    if (p.error) std::rethrow_exception(p.error);
    return std::move(*p.value);
  }

  std::coroutine_handle<promise_type> handle() const noexcept { return h_; }
  bool valid() const noexcept { return static_cast<bool>(h_); }

 private:
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  void reset() { if (h_) { h_.destroy(); h_ = {}; } }
  std::coroutine_handle<promise_type> h_;
};

template <>
class [[nodiscard]] Task<void> {
 public:
  struct promise_type : detail::PromiseBase {
    Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    detail::FinalAwaiter final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
  };

  Task() = default;
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) { reset(); h_ = std::exchange(o.h_, {}); }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
    h_.promise().continuation = parent;
    return h_;
  }
  void await_resume() {
    if (h_.promise().error) std::rethrow_exception(h_.promise().error);
  }

  std::coroutine_handle<promise_type> handle() const noexcept { return h_; }
  bool valid() const noexcept { return static_cast<bool>(h_); }

 private:
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  void reset() { if (h_) { h_.destroy(); h_ = {}; } }
  std::coroutine_handle<promise_type> h_;
};

}  // namespace kvsim::sim
