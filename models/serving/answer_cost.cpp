// models/serving/answer_cost.cpp — see answer_cost.h.
#include "models/serving/answer_cost.h"

#include <algorithm>
#include <cmath>

#include "models/execution.h"
#include "models/memory.h"
#include "models/step_plan.h"

namespace kvsim::models::serving {

namespace {

// One replica answers its share of the trace one after another; each answer's time is what it
// took on the engine.
sim::Task<void> replica(sim::Engine& e, Machine& m, sim::Duration prefill, const std::vector<sim::Duration>& decodes, std::size_t first,
                        std::size_t step, std::vector<sim::Duration>& took) {
  for (std::size_t i = first; i < decodes.size(); i += step) {
    const sim::Time start = e.now();
    co_await on_every_gpu(e, m, "compute", prefill, "prefill");
    if (decodes[i] > 0) co_await on_every_gpu(e, m, "compute", decodes[i], "decode");
    took[i] = e.now() - start;
  }
}

}  // namespace

AnswerCost decode_answers(sim::Engine& engine, const std::string& prefix, const Architecture& arch, const Deployment& dep,
                          DecodeCurve& curve, std::int64_t prompt, const std::vector<Answer>& trace, double scale, double cap) {
  StepShape last;
  last.cached = prompt + static_cast<std::int64_t>(std::ceil(cap * scale));
  AnswerCost c;
  c.fits = plan_memory(arch, dep, last).fits();
  if (!c.fits) return c;
  const sim::Duration prefill = sim::from_seconds(curve.prefill_seconds(prompt, 0));
  std::vector<sim::Duration> decodes, took(trace.size(), 0);
  for (const Answer& a : trace) {
    const auto n = static_cast<std::int64_t>(std::llround(static_cast<double>(a.tokens) * scale));
    decodes.push_back(sim::from_seconds(curve.generate_seconds(prompt, n)));
  }
  const std::size_t replicas = std::min<std::size_t>(kAnswerReplicas, trace.size());
  std::vector<Machine> machines;
  machines.reserve(replicas);
  for (std::size_t r = 0; r < replicas; ++r) {
    const std::string name = prefix + std::to_string(r);
    machines.push_back(make_machine(engine, dep, name + "/gpu"));
    engine.spawn(replica(engine, machines.back(), prefill, decodes, r, replicas, took), name);
  }
  engine.run();
  double gpu_seconds = 0;
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    gpu_seconds += sim::to_seconds(took[i]) * dep.tp;
    correct += trace[i].correct;
  }
  c.gpu_s_per_answer = gpu_seconds / static_cast<double>(trace.size());
  c.gpu_s_per_correct = correct ? gpu_seconds / static_cast<double>(correct) : std::nan("");
  c.wh_per_correct = c.gpu_s_per_correct * dep.gpu.board_power / 3600.0;
  return c;
}

}  // namespace kvsim::models::serving
