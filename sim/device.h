// sim/device.h — a compute device with named streams that execute charged work.
//
// Contract:
// - A stream runs its operations one after another in submission order (like a CUDA stream);
//   different streams of a device run concurrently (a GPU's compute stream beside its copy
//   engines). An operation starts when its stream is free and every operation it depends on has
//   ended, and lasts exactly the duration charged by the caller (a hardware model computes it).
// - enqueue() is asynchronous and returns the operation's start and end at once: with all inputs
//   known, the schedule is determined at submission. execute() enqueues and waits for the end.
// - Contention between streams for shared bandwidth is not modeled here; hardware models that
//   need it charge it in the durations they compute.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "sim/engine.h"

namespace kvsim::sim {

struct StreamOp {
  Time start = 0;
  Time end = 0;
};

class Stream {
 public:
  Stream(Engine& e, std::string resource)
      : e_(&e), resource_(std::move(resource)), timeline_id_(e.timeline().resource(resource_)) {}

  StreamOp enqueue(Duration d, std::string_view label, std::initializer_list<StreamOp> after = {},
                   std::uint64_t bytes = 0);
  // Enqueue, then wait for the end: co_await stream.execute(d, "gemm").
  Engine::SleepAwaiter execute(Duration d, std::string_view label, std::uint64_t bytes = 0) {
    return e_->sleep_until(enqueue(d, label, {}, bytes).end);
  }

  const std::string& resource() const { return resource_; }
  Time busy_until() const { return busy_until_; }
  Duration busy() const { return busy_; }
  std::uint64_t ops() const { return ops_; }

 private:
  Engine* e_;
  std::string resource_;
  Timeline::ResourceId timeline_id_;
  Time busy_until_ = 0;
  Duration busy_ = 0;
  std::uint64_t ops_ = 0;
};

class Device {
 public:
  Device(Engine& e, std::string name, const std::vector<std::string>& stream_names);
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const std::string& name() const { return name_; }
  // Throws std::out_of_range naming the device and the known streams if `stream` is unknown.
  Stream& stream(std::string_view stream);
  const std::vector<Stream>& streams() const { return streams_; }
  // co_await device.wait(op): resumes when op has ended.
  Engine::SleepAwaiter wait(StreamOp op) { return e_->sleep_until(op.end); }

 private:
  Engine* e_;
  std::string name_;
  std::vector<std::string> stream_names_;
  std::vector<Stream> streams_;
};

}  // namespace kvsim::sim
