// models/decode_curve.h — the time of long generations, from simulated forward steps.
//
// Contract: step_seconds(cached) simulates one forward (plan + schedule on a fresh engine) of
// `batch` sequences with `q` new tokens each after `cached` tokens. generate_seconds(prompt, n)
// is the time to decode n tokens one at a time after a prompt: the sum over contexts prompt ..
// prompt+n-1 of the step time. Simulating every step of a 30K-token answer would take 30K
// forwards, so steps are simulated at every `stride` tokens and summed exactly under linear
// interpolation between them: decode time is affine in the context between two grid points
// (the KV read grows linearly; weights and launches are constant), so the sum is exact up to the
// launch floor switching inside an interval. Results are memoized; not thread-safe.
#pragma once

#include <cstdint>
#include <map>

#include "models/architecture.h"
#include "models/deployment.h"

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

// Simulates one forward step on a fresh engine and returns its latency in seconds.
double simulate_forward(const Architecture& arch, const Deployment& dep, std::int64_t batch, std::int64_t q,
                        std::int64_t cached, bool sample = true);

}  // namespace kvsim::models
