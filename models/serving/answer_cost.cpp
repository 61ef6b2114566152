// models/serving/answer_cost.cpp — see answer_cost.h.
#include "models/serving/answer_cost.h"

#include <cmath>

#include "models/execution.h"
#include "models/memory.h"
#include "models/step_plan.h"

namespace kvsim::models::serving {

namespace {

sim::Task<void> answer(sim::Engine& e, Machine& m, sim::Duration prefill, sim::Duration decode, sim::Time& end) {
  co_await on_every_gpu(e, m, "compute", prefill, "prefill");
  if (decode > 0) co_await on_every_gpu(e, m, "compute", decode, "decode");
  end = e.now();
}

}  // namespace

AnswerCost decode_answers(sim::Engine& engine, const std::string& prefix, const Architecture& arch, const Deployment& dep,
                          DecodeCurve& curve, std::int64_t prompt, const std::vector<Answer>& trace, double scale, double cap) {
  StepShape last;
  last.cached = prompt + static_cast<std::int64_t>(std::ceil(cap * scale));
  AnswerCost c;
  c.fits = plan_memory(arch, dep, last).fits();
  if (!c.fits) return c;
  const sim::Time start = engine.now();
  const sim::Duration prefill = sim::from_seconds(curve.prefill_seconds(prompt, 0));
  std::vector<Machine> replicas;
  replicas.reserve(trace.size());
  std::vector<sim::Time> end(trace.size(), start);
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const auto n = static_cast<std::int64_t>(std::llround(static_cast<double>(trace[i].tokens) * scale));
    const sim::Duration decode = sim::from_seconds(curve.generate_seconds(prompt, n));
    const std::string name = prefix + std::to_string(i);
    replicas.push_back(make_machine(engine, dep, name + "/gpu"));
    engine.spawn(answer(engine, replicas.back(), prefill, decode, end[i]), name);
  }
  engine.run();
  double gpu_seconds = 0;
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    gpu_seconds += sim::to_seconds(end[i] - start) * dep.tp;
    correct += trace[i].correct;
  }
  c.gpu_s_per_answer = gpu_seconds / static_cast<double>(trace.size());
  c.gpu_s_per_correct = correct ? gpu_seconds / static_cast<double>(correct) : std::nan("");
  c.wh_per_correct = c.gpu_s_per_correct * dep.gpu.board_power / 3600.0;
  return c;
}

}  // namespace kvsim::models::serving
