// sim/link.h — a full-duplex point-to-point link between two endpoints.
//
// Contract:
// - Each direction is a FIFO serializer: a message starts when the previous one in the same
//   direction has left, takes `per_message_overhead + charged_bytes / bandwidth` to serialize,
//   and arrives `latency` (one-way propagation) after its last byte left. So n bytes sent on an
//   idle link at time t arrive at exactly t + overhead + latency + ceil(n / B) picoseconds.
// - The two directions never interfere (full duplex).
// - send() is buffered: it returns at once with the transfer's times; the message lands in the
//   receiving endpoint's inbox at its arrival time. send_and_wait() also suspends the sender until
//   its last byte has left (for senders that must not run ahead of the wire).
// - A message carries real content (payload, as 64-bit words: protocols move their ring elements in
//   without serializing them) and a charged size, which are separate: protocols charge exactly
//   what they would put on a wire, cost mode charges a stated size with an empty payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/engine.h"
#include "sim/fifo.h"
#include "sim/sync.h"

namespace kvsim::sim {

// A message's trace label. Why not a std::string: a message is moved several times between
// send and receive, and an empty label (the common case when no trace is kept) then moves as one
// null pointer.
class Label {
 public:
  Label() = default;
  Label(std::string_view text) { *this = text; }  // NOLINT: implicit, like a string
  Label& operator=(std::string_view text) {
    text_ = text.empty() ? nullptr : std::make_unique<std::string>(text);
    return *this;
  }
  std::string_view view() const { return text_ ? std::string_view(*text_) : std::string_view(); }
  bool empty() const { return !text_; }

 private:
  std::unique_ptr<std::string> text_;
};

struct Message {
  std::vector<std::uint64_t> payload;  // real content as words, may be empty in cost mode
  std::uint64_t charged_bytes = 0;  // what the link is charged for
  Label label;
  Time sent = 0;                    // when send() was called
  Time arrived = 0;                 // filled in on delivery
};

struct LinkConfig {
  std::string name;
  double bandwidth_bytes_per_s = 0;  // per direction
  Duration latency = 0;              // one-way propagation delay
  Duration per_message_overhead = 0; // fixed cost per message on the serializer
};

struct LinkDirectionStats {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  Duration busy = 0;  // serializer busy time
};

struct Transfer {
  Time start;       // first byte leaves
  Time serialized;  // last byte leaves
  Time arrival;     // last byte arrives
};

class Link {
 public:
  // Endpoints 0 and 1; `endpoint_names` label the directions in the timeline ("a->b").
  Link(Engine& e, LinkConfig config, std::string endpoint0 = "a", std::string endpoint1 = "b");
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  const LinkConfig& config() const { return config_; }
  const std::string& endpoint_name(int endpoint) const { return names_[endpoint]; }

  // Sends from endpoint `from` (0 or 1) to the other one.
  Transfer send(int from, Message m);

  struct SendAwaiter {
    Engine* e;
    Transfer t;
    bool await_ready() const noexcept { return t.serialized <= e->now(); }
    void await_suspend(std::coroutine_handle<> h) { e->schedule(t.serialized, Waiter{h, e->current_process()}); }
    Transfer await_resume() const noexcept { return t; }
  };
  SendAwaiter send_and_wait(int from, Message m) { return SendAwaiter{e_, send(from, std::move(m))}; }

  // The inbox of endpoint `at`: messages sent by the other endpoint, in arrival order.
  Mailbox<Message>& inbox(int at) { return inbox_[at]; }
  // co_await link.receive(at) -> Message
  Mailbox<Message>::Awaiter receive(int at) { return inbox_[at].get(); }

  const LinkDirectionStats& stats(int from) const { return dir_[from].stats; }

 private:
  struct Direction {
    Time busy_until = 0;
    Fifo<Message> in_flight;  // FIFO: arrival times are non-decreasing per direction
    LinkDirectionStats stats;
    Timeline::ResourceId resource;  // e.g. "link/lan/a->b" on the timeline
    std::uint64_t last_bytes = 0;   // the serialization time of the last size sent
    Duration last_serialize = 0;
  };
  static void deliver(void* self, std::uint64_t from);

  Engine* e_;
  LinkConfig config_;
  std::string names_[2];
  Direction dir_[2];
  Mailbox<Message> inbox_[2];
};

}  // namespace kvsim::sim
