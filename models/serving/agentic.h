// models/serving/agentic.h — multi-turn agent sessions (Datarus S4): each call prefills the turn's
// input, with the history's KV kept (prefix caching) or recomputed, decodes the response, then the
// session waits for its tool; and the KV an idle session holds while it waits.
//
// Contract:
// - Turn i (1-based) has a history of S + (i - 1) T tokens and an input of T - r tokens; without
//   the cache the prefill covers history + input, with it only the input after the history. The
//   costs come from the step plan (prefill forwards) and the decode curve (r decode steps).
// - run_sessions() runs the two sessions as processes on `engine` from its current time, each on
//   its own GPUs ("no-cache/gpu<r>", "cache/gpu<r>"): per turn a prefill and a decode operation on
//   every GPU's compute stream, then the tool wait. A session's length is its engine time.
// - idle_kv(): an idle session's KV in full and after StreamingLLM eviction to `budget` tokens,
//   GiB-seconds over one wait, and how many idle sessions fit beside the weights.
#pragma once

#include <cstdint>
#include <vector>

#include "models/architecture.h"
#include "models/deployment.h"
#include "sim/engine.h"

namespace kvsim::models::serving {

struct AgenticSession {
  std::int64_t system_tokens = 1024, turns = 30, turn_tokens = 2048, response_tokens = 512;
  double tool_wait_s = 60;
  std::int64_t curve_stride = 256;
};

struct TurnCost {
  std::int64_t prefill_tokens_no_cache = 0, prefill_tokens_cache = 0;
  double prefill_s_no_cache = 0, prefill_s_cache = 0, decode_s = 0;
};

struct SessionCost {
  std::vector<TurnCost> turns;
  double session_s_no_cache = 0, session_s_cache = 0;  // prefills, decodes and tool waits
};

SessionCost run_sessions(sim::Engine& engine, const Architecture& arch, const Deployment& dep, const AgenticSession& s);

struct IdleKv {
  double held = 0, held_evicted = 0;                    // bytes per GPU
  double gib_s_per_wait = 0, gib_s_per_wait_evicted = 0;
  double sessions_fit = 0, sessions_fit_evicted = 0;    // beside the weights
};
IdleKv idle_kv(const Architecture& arch, const Deployment& dep, std::int64_t history, std::int64_t budget, double wait_s);

}  // namespace kvsim::models::serving
