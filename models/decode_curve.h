// models/decode_curve.h — the time of long generations, from simulated forward steps.
//
// Contract: step_seconds(cached) simulates one forward (plan + schedule on a fresh engine) of
// `batch` sequences with `q` new tokens each after `cached` tokens. generate_seconds(prompt, n)
// is the time to decode n tokens one at a time after a prompt: the sum over contexts prompt ..
// prompt+n-1 of the step time. Simulating every step of a 30K-token answer would take 30K
// forwards, so steps are simulated at every `stride` tokens and summed exactly under linear
// interpolation between them: decode time is affine in the context between two grid points
// (the KV read grows linearly; weights and launches are constant), so the sum is exact up to the
// launch floor or the host-bound regime switching inside an interval. Every step and prefill is
// an engine step of the deployment's software stack (its step overhead and final sync).
// Results are memoized; not thread-safe.
#pragma once

#include <cstdint>
#include <map>

#include "models/architecture.h"
#include "models/deployment.h"
#include "sim/time.h"

namespace kvsim::models {

class DecodeCurve {
 public:
  DecodeCurve(const Architecture& arch, const Deployment& dep, std::int64_t batch = 1, std::int64_t stride = 256);

  double step_seconds(std::int64_t cached);
  double generate_seconds(std::int64_t prompt, std::int64_t tokens);
  // One forward over `tokens` new tokens after `cached` (a prefill chunk), in seconds.
  double prefill_seconds(std::int64_t tokens, std::int64_t cached);
  std::int64_t simulated_steps() const { return simulated_; }

 private:
  double sum_steps(std::int64_t from, std::int64_t to);  // sum of step_seconds(c), c in [from, to)
  const Architecture& arch_;
  Deployment dep_;
  std::int64_t batch_, stride_;
  std::map<std::int64_t, double> steps_;
  std::int64_t simulated_ = 0;
};

// One forward on a fresh engine: its latency (the host's issue included, execution.h), the host
// thread's issue time, and how long the host works before the GPUs can start (a graph's replay,
// the first eager op's share).
struct ForwardTiming {
  sim::Duration latency = 0, issue = 0, lead = 0;
};
ForwardTiming time_forward(const Architecture& arch, const Deployment& dep, std::int64_t batch, std::int64_t q,
                           std::int64_t cached, bool sample, bool engine_step);

// Simulates one forward step on a fresh engine and returns its latency in seconds. `engine_step`:
// a whole step of a decode loop (run_step), with the stack's step overhead and final sync.
double simulate_forward(const Architecture& arch, const Deployment& dep, std::int64_t batch, std::int64_t q,
                        std::int64_t cached, bool sample = true, bool engine_step = false);

}  // namespace kvsim::models
