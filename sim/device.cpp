// sim/device.cpp — stream scheduling.
#include "sim/device.h"

#include <algorithm>
#include <stdexcept>

namespace kvsim::sim {

StreamOp Stream::enqueue(Duration d, std::string_view label, std::initializer_list<StreamOp> after,
                         std::uint64_t bytes) {
  if (d < 0) throw std::invalid_argument("stream '" + resource_ + "': negative duration");
  Time start = std::max(e_->now(), busy_until_);
  for (const StreamOp& dep : after) start = std::max(start, dep.end);
  const StreamOp op{start, advance(start, d)};
  busy_until_ = op.end;
  busy_ += d;
  ops_ += 1;
  e_->timeline().record(e_->current_process_name(), timeline_id_, op.start, op.end, bytes, label);
  return op;
}

Device::Device(Engine& e, std::string name, const std::vector<std::string>& stream_names)
    : e_(&e), name_(std::move(name)), stream_names_(stream_names) {
  if (stream_names.empty()) throw std::invalid_argument("device '" + name_ + "' needs a stream");
  streams_.reserve(stream_names.size());
  for (const auto& s : stream_names) streams_.emplace_back(e, name_ + "/" + s);
}

Stream& Device::stream(std::string_view stream) {
  for (std::size_t i = 0; i < stream_names_.size(); ++i) {
    if (stream_names_[i] == stream) return streams_[i];
  }
  std::string known;
  for (const auto& s : stream_names_) known += (known.empty() ? "" : ", ") + s;
  throw std::out_of_range("device '" + name_ + "' has no stream '" + std::string(stream) +
                          "' (streams: " + known + ")");
}

}  // namespace kvsim::sim
