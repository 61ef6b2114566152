// sim/fifo.h — a growable ring buffer: the queues of links and mailboxes.
//
// Contract: push_back / pop_front / front in FIFO order, amortized O(1); capacity doubles when
// full and is never given back, so a queue that cycles at a steady depth allocates nothing.
// Why not std::deque: a deque used as a FIFO frees and allocates a block every few elements
// (a block holds 512 bytes), which costs more than the simulation of a message.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace kvsim::sim {

template <class T>
class Fifo {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  T& front() { return slots_[head_]; }
  const T& front() const { return slots_[head_]; }
  // The i-th element from the front.
  T& operator[](std::size_t i) { return slots_[(head_ + i) & (slots_.size() - 1)]; }

  void push_back(T&& item) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(item);
    ++size_;
  }
  void push_back(const T& item) { push_back(T(item)); }
  // Moves the front element out (the slot is left moved-from: it holds nothing).
  T take_front() {
    T item = std::move(slots_[head_]);
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
    return item;
  }
  void pop_front() {
    slots_[head_] = T();  // release what the element holds now, not when the slot is reused
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
  }

 private:
  void grow() {
    std::vector<T> bigger(slots_.empty() ? 8 : 2 * slots_.size());  // a power of two
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
    slots_ = std::move(bigger);
    head_ = 0;
  }
  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace kvsim::sim
