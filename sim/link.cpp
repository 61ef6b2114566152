// sim/link.cpp — FIFO serialization per direction, delivery at arrival time.
#include "sim/link.h"

#include <algorithm>
#include <stdexcept>

namespace kvsim::sim {

Link::Link(Engine& e, LinkConfig config, std::string endpoint0, std::string endpoint1)
    : e_(&e), config_(std::move(config)), names_{std::move(endpoint0), std::move(endpoint1)},
      inbox_{Mailbox<Message>(e), Mailbox<Message>(e)} {
  if (!(config_.bandwidth_bytes_per_s > 0)) {
    throw std::invalid_argument("link '" + config_.name + "': bandwidth must be positive");
  }
  if (config_.latency < 0 || config_.per_message_overhead < 0) {
    throw std::invalid_argument("link '" + config_.name + "': latency and overhead must be >= 0");
  }
  dir_[0].resource = e.timeline().resource("link/" + config_.name + "/" + names_[0] + "->" + names_[1]);
  dir_[1].resource = e.timeline().resource("link/" + config_.name + "/" + names_[1] + "->" + names_[0]);
  for (Direction& d : dir_) d.last_serialize = config_.per_message_overhead;  // of a 0-byte message
}

Transfer Link::send(int from, Message m) {
  if (from != 0 && from != 1) throw std::invalid_argument("link endpoint must be 0 or 1");
  Direction& d = dir_[from];
  const Time now = e_->now();
  Transfer t;
  t.start = std::max(now, d.busy_until);
  if (m.charged_bytes != d.last_bytes) {
    // Why cached: protocol rounds and ping-pongs repeat one size, and the exact 128-bit
    // division costs more than the rest of a send.
    d.last_bytes = m.charged_bytes;
    d.last_serialize = advance(config_.per_message_overhead, transfer_time(m.charged_bytes, config_.bandwidth_bytes_per_s));
  }
  const Duration serialize = d.last_serialize;
  t.serialized = advance(t.start, serialize);
  t.arrival = advance(t.serialized, config_.latency);
  d.busy_until = t.serialized;
  d.stats.messages += 1;
  d.stats.bytes += m.charged_bytes;
  d.stats.busy += serialize;
  e_->timeline().record(e_->current_process_name(), d.resource, t.start, t.arrival, m.charged_bytes,
                        m.label.view());
  m.sent = now;
  m.arrived = t.arrival;
  d.in_flight.push_back(std::move(m));
  e_->schedule_call(t.arrival, &Link::deliver, this, static_cast<std::uint64_t>(from));
  return t;
}

void Link::deliver(void* self, std::uint64_t from) {
  auto* link = static_cast<Link*>(self);
  Direction& d = link->dir_[from];
  // Why the front is always the right message: deliveries of one direction are scheduled with
  // non-decreasing arrival times and increasing sequence numbers, so they fire in send order.
  link->inbox_[1 - from].put(d.in_flight.take_front());
}

}  // namespace kvsim::sim
