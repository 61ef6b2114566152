// protocols/meter.cpp — declared and measured costs by category.
#include "protocols/meter.h"

namespace kvsim::protocols {

Meter::Reading Meter::read() const {
  Reading m;
  m.stats = ch_.stats();
  const auto it = ch_.stats_by_tag().find("offline");
  if (it != ch_.stats_by_tag().end()) m.offline = it->second;
  if (clock_) m.time = clock_();
  return m;
}

void Meter::attribute() {
  const Reading now = read();
  if (recording_) {
    const CommStats d = now.stats - last_.stats, off = now.offline - last_.offline;
    const bool nothing = d.bytes_sent == 0 && d.messages == 0 && d.rounds == 0 && now.time == last_.time;
    if (current_.empty() && nothing) {  // why: the unnamed category appears only when charged
      last_ = now;
      return;
    }
    MeterCategory& c = current();
    c.measured.bytes_sent += d.bytes_sent;
    c.measured.messages += d.messages;
    c.measured.rounds += d.rounds - off.rounds;
    if (clock_) c.seconds += sim::to_seconds(now.time - last_.time);
  }
  last_ = now;
}

Meter::Scope Meter::scope(std::string category) {
  attribute();
  std::string outer = std::move(current_);
  current_ = std::move(category);
  return Scope(*this, std::move(outer));
}

Meter::Scope::~Scope() {
  if (!meter_) return;
  meter_->attribute();
  meter_->current_ = std::move(outer_);
}

void Meter::set_recording(bool on) {
  attribute();
  recording_ = on;
}

void Meter::set_clock(Clock clock) {
  attribute();
  clock_ = std::move(clock);
  last_ = read();
}

void Meter::record(Op op, const OpCost& cost, double elements) {
  if (!recording_) return;
  MeterCategory& c = current();
  c.declared += cost;
  OpTally& t = c.ops[static_cast<std::size_t>(op)];
  ++t.calls;
  t.elements += elements;
}

const std::map<std::string, MeterCategory>& Meter::categories() {
  attribute();
  return categories_;
}

OpCost Meter::declared() const {
  OpCost total;
  for (const auto& [name, c] : categories_) total += c.declared;
  return total;
}

OpTally Meter::tally(Op op) const {
  OpTally total;
  for (const auto& [name, c] : categories_) {
    total.calls += c.ops[static_cast<std::size_t>(op)].calls;
    total.elements += c.ops[static_cast<std::size_t>(op)].elements;
  }
  return total;
}

}  // namespace kvsim::protocols
