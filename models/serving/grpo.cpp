// models/serving/grpo.cpp — see grpo.h.
#include "models/serving/grpo.h"

#include <string>

#include "models/decode_curve.h"
#include "models/execution.h"
#include "models/memory.h"
#include "models/step_plan.h"

namespace kvsim::models::serving {

namespace {

// Everything but the KV: weights, decode activations and logits of a batch of g.
double base_memory(const Architecture& arch, const Deployment& dep, std::int64_t g) {
  StepShape s;
  s.batch = g;
  s.cached = 0;
  const MemoryPlan m = plan_memory(arch, dep, s);
  double other = 0;
  for (const auto& it : m.gpu_items)
    if (it.name != "kv_cache") other += it.bytes;
  return other;
}

double kv_bytes(const Architecture& arch, const Deployment& dep, Grpo how, std::int64_t P, std::int64_t R, std::int64_t g) {
  // In whole KV blocks of the stack (paged KV): a shared prompt and each completion take their own.
  const double kv = static_cast<double>(arch.kv_bytes_per_token()) / dep.tp, gd = static_cast<double>(g);
  const auto slots = [&](std::int64_t tokens) { return static_cast<double>(kv_slots(dep, tokens)); };
  switch (how) {
    case Grpo::kBatched: return gd * slots(P + R) * kv;
    case Grpo::kShared: return (slots(P) + gd * slots(R)) * kv;
    case Grpo::kSequential: break;
  }
  return slots(P + R) * kv;
}

double peak(const Architecture& arch, const Deployment& dep, Grpo how, std::int64_t P, std::int64_t R, std::int64_t g) {
  return base_memory(arch, dep, how == Grpo::kSequential ? 1 : g) + kv_bytes(arch, dep, how, P, R, g);
}

// A strategy's prefills and decodes, in order, on its own GPUs.
struct Phase {
  sim::Duration prefill = 0, decode = 0;
  std::int64_t repeat = 1;
};
sim::Task<void> roll_out(sim::Engine& e, Machine& m, Phase p, sim::Time& end) {
  for (std::int64_t i = 0; i < p.repeat; ++i) {
    co_await on_every_gpu(e, m, "compute", p.prefill, "prefill");
    co_await on_every_gpu(e, m, "compute", p.decode, "decode");
  }
  end = e.now();
}

}  // namespace

GrpoMemory grpo_memory(const Architecture& arch, const Deployment& dep, const GrpoShape& s) {
  GrpoMemory out;
  const double capacity = gpu_capacity(dep);
  for (int i = 0; i < 3; ++i) {
    const auto how = static_cast<Grpo>(i);
    out.kv[i] = kv_bytes(arch, dep, how, s.prompt, s.response, s.group);
    out.peak[i] = peak(arch, dep, how, s.prompt, s.response, s.group);
    out.fits[i] = out.peak[i] <= capacity;
  }
  out.logits_fp32 = static_cast<double>(s.group) * static_cast<double>(s.prompt + s.response) * static_cast<double>(arch.vocab) * 4.0;
  return out;
}

std::int64_t grpo_max_group(const Architecture& arch, const Deployment& dep, std::int64_t prompt, std::int64_t response,
                            Grpo how, std::int64_t g_max) {
  std::int64_t best = 0;
  for (std::int64_t g = 1; g <= g_max; ++g) {
    if (peak(arch, dep, how, prompt, response, g) <= gpu_capacity(dep)) best = g;
    else break;
  }
  return best;
}

std::array<double, 3> grpo_times(sim::Engine& engine, const Architecture& arch, const Deployment& dep, const GrpoShape& s,
                                 std::int64_t curve_stride) {
  DecodeCurve single(arch, dep, 1, curve_stride), group(arch, dep, s.group, curve_stride);
  const sim::Duration prefill1 = sim::from_seconds(single.prefill_seconds(s.prompt, 0));
  const sim::Duration decode1 = sim::from_seconds(single.generate_seconds(s.prompt, s.response));
  const sim::Duration prefill_g = sim::from_seconds(simulate_forward(arch, dep, s.group, s.prompt, 0, false, true));
  const sim::Duration decode_g = sim::from_seconds(group.generate_seconds(s.prompt, s.response));
  const Phase phases[3] = {{prefill_g, decode_g, 1}, {prefill1, decode_g, 1}, {prefill1, decode1, s.group}};
  const sim::Time start = engine.now();
  std::vector<Machine> machines;
  std::array<sim::Time, 3> end{};
  for (int i = 0; i < 3; ++i) machines.push_back(make_machine(engine, dep, std::string(kGrpoNames[i]) + "/gpu"));
  for (int i = 0; i < 3; ++i) engine.spawn(roll_out(engine, machines[i], phases[i], end[i]), std::string(kGrpoNames[i]));
  engine.run();
  return {sim::to_seconds(end[0] - start), sim::to_seconds(end[1] - start), sim::to_seconds(end[2] - start)};
}

}  // namespace kvsim::models::serving
