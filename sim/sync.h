// sim/sync.h — what processes wait on: one-shot signals, FIFO mailboxes, barriers.
//
// Contract: waking a waiter never runs it inline; the waiter is scheduled at the current time
// behind the events already queued there, so the process that signals keeps running until it
// suspends, and the order of wake-ups is the order of waiting (FIFO). All of these belong to one
// engine and must outlive the processes waiting on them.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "sim/engine.h"
#include "sim/fifo.h"

namespace kvsim::sim {

// A one-shot event: processes wait until someone triggers it; waiting after the trigger returns
// at once.
class Signal {
 public:
  explicit Signal(Engine& e) : e_(&e) {}
  bool triggered() const { return triggered_; }
  Time triggered_at() const { return at_; }
  void trigger() {
    if (triggered_) return;
    triggered_ = true;
    at_ = e_->now();
    for (const Waiter& w : waiters_) e_->schedule(at_, w);
    waiters_.clear();
  }
  struct Awaiter {
    Signal* s;
    bool await_ready() const noexcept { return s->triggered_; }
    void await_suspend(std::coroutine_handle<> h) { s->waiters_.push_back(Waiter{h, s->e_->current_process()}); }
    void await_resume() const noexcept {}
  };
  Awaiter wait() { return Awaiter{this}; }

 private:
  Engine* e_;
  bool triggered_ = false;
  Time at_ = 0;
  std::vector<Waiter> waiters_;
};

// An unbounded FIFO of T (default-constructible and movable). put() never blocks; get() suspends
// until an item is there.
template <class T>
class Mailbox {
 public:
  explicit Mailbox(Engine& e) : e_(&e) {}
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  void put(const T& item) { put(T(item)); }
  void put(T&& item) {
    if (!getters_.empty()) {
      // Hand the item straight to the oldest waiter: FIFO both for items and for getters.
      const Getter g = getters_.take_front();
      g.slot->emplace(std::move(item));
      e_->schedule(e_->now(), g.waiter);
      return;
    }
    items_.push_back(std::move(item));
  }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::size_t waiting() const { return getters_.size(); }

  struct Awaiter {
    Mailbox* m;
    std::optional<T> slot;
    bool await_ready() {
      if (m->items_.empty() || !m->getters_.empty()) return false;
      slot.emplace(m->items_.take_front());
      return true;
    }
    void await_suspend(std::coroutine_handle<> h) {
      m->getters_.push_back(Getter{Waiter{h, m->e_->current_process()}, &slot});
    }
    T await_resume() { return std::move(*slot); }
  };
  // co_await mailbox.get() -> T
  Awaiter get() { return Awaiter{this, std::nullopt}; }

 private:
  struct Getter {
    Waiter waiter{};
    std::optional<T>* slot = nullptr;
  };
  Engine* e_;
  Fifo<T> items_;
  Fifo<Getter> getters_;
};

// A cyclic barrier for `parties` processes: the last to arrive releases everyone.
class Barrier {
 public:
  Barrier(Engine& e, std::size_t parties) : e_(&e), parties_(parties) {}
  std::size_t generation() const { return generation_; }

  struct Awaiter {
    Barrier* b;
    bool await_ready() {
      if (b->arrived_ + 1 < b->parties_) return false;
      b->release();
      return true;
    }
    void await_suspend(std::coroutine_handle<> h) {
      ++b->arrived_;
      b->waiters_.push_back(Waiter{h, b->e_->current_process()});
    }
    void await_resume() const noexcept {}
  };
  Awaiter arrive_and_wait() { return Awaiter{this}; }

 private:
  void release() {
    for (const Waiter& w : waiters_) e_->schedule(e_->now(), w);
    waiters_.clear();
    arrived_ = 0;
    ++generation_;
  }
  Engine* e_;
  std::size_t parties_;
  std::size_t arrived_ = 0;
  std::size_t generation_ = 0;
  std::vector<Waiter> waiters_;
};

// Joins every process; rethrows the first failure (in spawn order) after all have finished.
Task<void> join_all(std::vector<Process> processes);

}  // namespace kvsim::sim
