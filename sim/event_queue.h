// sim/event_queue.h — the engine's pending events, ordered by (time, sequence).
//
// Contract: pop() returns the event with the smallest (t, seq); seq is unique per engine, so the
// order is total and a run is deterministic. Limits (checked): 2^40 events scheduled per engine
// (a day of simulation at ten million events per second) and 2^24 events pending at once.
//
// Implementation: a 4-ary implicit heap of 128-bit keys (time << 64 | seq << 24 | slot), with the
// event bodies in a slab indexed by the key's low 24 bits. Why: one key compare is a single
// 128-bit comparison, four children share a 64-byte cache line, and a pop moves only keys; this
// keeps the engine above ten million events per second with thousands of pending events
// (bench/engine_bench.cpp).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "sim/time.h"

namespace kvsim::sim {

template <class Body>
class EventQueue {
 public:
  static constexpr std::uint64_t kMaxSeq = (1ULL << 40) - 1;
  static constexpr std::uint32_t kMaxPending = 1U << 24;

  bool empty() const { return keys_.empty(); }
  std::size_t size() const { return keys_.size(); }
  Time top_time() const { return static_cast<Time>(keys_.front() >> 64); }
  void clear() { keys_.clear(); bodies_.clear(); free_.clear(); }
  void reserve(std::size_t n) { keys_.reserve(n); bodies_.reserve(n); }

  void push(Time t, std::uint64_t seq, const Body& body) {
    if (seq > kMaxSeq) throw std::length_error("event queue: more than 2^40 events in one engine");
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
      bodies_[slot] = body;
    } else {
      if (bodies_.size() >= kMaxPending) throw std::length_error("event queue: more than 2^24 pending events");
      slot = static_cast<std::uint32_t>(bodies_.size());
      bodies_.push_back(body);
    }
    const Key k = (static_cast<Key>(static_cast<std::uint64_t>(t)) << 64) | (seq << 24) | slot;
    std::size_t i = keys_.size();
    keys_.push_back(k);
    while (i > 0) {  // sift up
      const std::size_t parent = (i - 1) / 4;
      if (keys_[parent] < k) break;
      keys_[i] = keys_[parent];
      i = parent;
    }
    keys_[i] = k;
  }

  // Removes the first event; returns its time and copies its body to `out`.
  Time pop(Body& out) {
    const Key top = keys_.front();
    const auto slot = static_cast<std::uint32_t>(top & 0xFFFFFF);
    out = bodies_[slot];
    free_.push_back(slot);
    const Key last = keys_.back();
    keys_.pop_back();
    const std::size_t n = keys_.size();
    if (n > 0) {
      std::size_t i = 0;
      while (true) {  // sift the last key down from the root
        const std::size_t c = 4 * i + 1;
        if (c >= n) break;
        std::size_t best = c;
        Key best_key = keys_[c];
        const std::size_t end = c + 4 < n ? c + 4 : n;
        for (std::size_t j = c + 1; j < end; ++j) {
          const Key kj = keys_[j];
          const bool smaller = kj < best_key;
          best = smaller ? j : best;
          best_key = smaller ? kj : best_key;
        }
        if (last < best_key) break;
        keys_[i] = best_key;
        i = best;
      }
      keys_[i] = last;
    }
    return static_cast<Time>(top >> 64);
  }

 private:
  using Key = unsigned __int128;
  std::vector<Key> keys_;
  std::vector<Body> bodies_;
  std::vector<std::uint32_t> free_;
};

}  // namespace kvsim::sim
