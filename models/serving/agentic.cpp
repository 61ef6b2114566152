// models/serving/agentic.cpp — see agentic.h.
#include "models/serving/agentic.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "models/decode_curve.h"
#include "models/execution.h"
#include "models/memory.h"

namespace kvsim::models::serving {

namespace {

sim::Task<void> session(sim::Engine& e, Machine& m, const std::vector<TurnCost>& turns, bool cached, sim::Duration wait,
                        sim::Time& end) {
  for (const TurnCost& t : turns) {
    co_await on_every_gpu(e, m, "compute", sim::from_seconds(cached ? t.prefill_s_cache : t.prefill_s_no_cache), "prefill");
    co_await on_every_gpu(e, m, "compute", sim::from_seconds(t.decode_s), "decode");
    co_await e.sleep(wait);  // the tool runs; the GPU is idle for this session
  }
  end = e.now();
}

}  // namespace

SessionCost run_sessions(sim::Engine& engine, const Architecture& arch, const Deployment& dep, const AgenticSession& s) {
  SessionCost out;
  DecodeCurve curve(arch, dep, 1, s.curve_stride);
  for (std::int64_t i = 1; i <= s.turns; ++i) {
    const std::int64_t history = s.system_tokens + (i - 1) * s.turn_tokens, input = s.turn_tokens - s.response_tokens;
    TurnCost t;
    t.prefill_tokens_no_cache = history + input;
    t.prefill_tokens_cache = input;
    t.prefill_s_no_cache = simulate_forward(arch, dep, 1, history + input, 0, false, true);
    t.prefill_s_cache = simulate_forward(arch, dep, 1, input, history, false, true);
    t.decode_s = curve.generate_seconds(history + input, s.response_tokens);
    out.turns.push_back(t);
  }
  const sim::Time start = engine.now();
  Machine no_cache = make_machine(engine, dep, "no-cache/gpu"), cache = make_machine(engine, dep, "cache/gpu");
  sim::Time end_nc = start, end_c = start;
  const sim::Duration wait = sim::from_seconds(s.tool_wait_s);
  engine.spawn(session(engine, no_cache, out.turns, false, wait, end_nc), "session/no-cache");
  engine.spawn(session(engine, cache, out.turns, true, wait, end_c), "session/cache");
  engine.run();
  out.session_s_no_cache = sim::to_seconds(end_nc - start);
  out.session_s_cache = sim::to_seconds(end_c - start);
  return out;
}

IdleKv idle_kv(const Architecture& arch, const Deployment& dep, std::int64_t history, std::int64_t budget, double wait_s) {
  const double kv = static_cast<double>(arch.kv_bytes_per_token()) / dep.tp, gib = 1024.0 * 1024 * 1024;
  const double free_bytes = gpu_capacity(dep) - weight_bytes_per_rank(arch, dep.tp);
  IdleKv out;
  out.held = static_cast<double>(kv_slots(dep, history)) * kv;
  out.held_evicted = static_cast<double>(kv_slots(dep, std::min(history, budget))) * kv;
  out.gib_s_per_wait = out.held / gib * wait_s;
  out.gib_s_per_wait_evicted = out.held_evicted / gib * wait_s;
  out.sessions_fit = std::floor(free_bytes / out.held);
  out.sessions_fit_evicted = std::floor(free_bytes / out.held_evicted);
  return out;
}

}  // namespace kvsim::models::serving
