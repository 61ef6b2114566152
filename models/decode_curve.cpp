// models/decode_curve.cpp — grid-sampled step times and their exact piecewise-linear sums.
#include "models/decode_curve.h"

#include <stdexcept>

#include "models/execution.h"
#include "models/step_plan.h"

namespace kvsim::models {

ForwardTiming time_forward(const Architecture& arch, const Deployment& dep, std::int64_t batch, std::int64_t q,
                           std::int64_t cached, bool sample, bool engine_step) {
  sim::Engine engine;
  Machine m = make_machine(engine, dep);
  StepShape s;
  s.batch = batch;
  s.q = q;
  s.cached = cached;
  s.sample = sample;
  StepStats st;
  std::vector<Op> plan = plan_step(arch, dep, s);
  ForwardTiming t;
  t.issue = host_issue_time(plan);
  t.lead = plan.front().host + (engine_step ? dep.stack.step_overhead : 0);  // every plan opens with its framework op
  engine.spawn(run_step(engine, m, dep, std::move(plan), st, engine_step), "forward");
  engine.run();
  t.latency = st.latency;
  return t;
}

double simulate_forward(const Architecture& arch, const Deployment& dep, std::int64_t batch, std::int64_t q,
                        std::int64_t cached, bool sample, bool engine_step) {
  return sim::to_seconds(time_forward(arch, dep, batch, q, cached, sample, engine_step).latency);
}

DecodeCurve::DecodeCurve(const Architecture& arch, const Deployment& dep, std::int64_t batch, std::int64_t stride)
    : arch_(arch), dep_(dep), batch_(batch), stride_(stride) {
  if (stride < 1) throw std::invalid_argument("decode curve stride must be positive");
}

double DecodeCurve::step_seconds(std::int64_t cached) {
  auto it = steps_.find(cached);
  if (it != steps_.end()) return it->second;
  ++simulated_;
  const double t = simulate_forward(arch_, dep_, batch_, 1, cached, true, true);
  steps_.emplace(cached, t);
  return t;
}

double DecodeCurve::sum_steps(std::int64_t from, std::int64_t to) {
  // Sum of a linear function f over the integers [a, b): (b - a) * (f(a) + f(b - 1)) / 2.
  double total = 0;
  std::int64_t a = from;
  while (a < to) {
    const std::int64_t grid_a = a - a % stride_;
    const std::int64_t b = std::min(to, grid_a + stride_);
    const double fa0 = step_seconds(grid_a), fb0 = step_seconds(grid_a + stride_);
    const auto f = [&](std::int64_t c) {
      return fa0 + (fb0 - fa0) * static_cast<double>(c - grid_a) / static_cast<double>(stride_);
    };
    total += static_cast<double>(b - a) * (f(a) + f(b - 1)) / 2.0;
    a = b;
  }
  return total;
}

double DecodeCurve::generate_seconds(std::int64_t prompt, std::int64_t tokens) {
  if (tokens <= 0) return 0;
  return sum_steps(prompt, prompt + tokens);
}

double DecodeCurve::prefill_seconds(std::int64_t tokens, std::int64_t cached) {
  return simulate_forward(arch_, dep_, batch_, tokens, cached, false, true);
}

}  // namespace kvsim::models
