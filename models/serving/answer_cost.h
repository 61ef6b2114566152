// models/serving/answer_cost.h — what answering costs on a deployment: a trace of answers (Datarus
// S1) shared out over replicas of the deployment, each answer's prefill and decode operations on
// every GPU's compute stream of the engine.
//
// Contract: decode_answers() first checks memory for the longest answer the cap allows (cap x
// scale tokens after the prompt); when it does not fit, nothing runs and `fits` is false. Else
// every answer (its tokens times `scale`, rounded) is charged as a prefill of the prompt and a
// decode of its tokens from the decode curve (exact piecewise-linear sums; models/decode_curve.h).
// Answer i runs on replica i mod kAnswerReplicas (named "<prefix><replica>/gpu<r>"), each replica
// answering its share one after another, all from the engine's current time; the engine runs
// until every answer is done. Why replicas: a trace's GPU time (up to ~5x10^7 s for 4,800 long
// answers offloaded) exceeds the engine's horizon (int64 picoseconds, 106 days) when answered one
// after another; shared out it lasts a 64th of that. GPU-seconds are the answers' own engine
// durations times the GPUs of the deployment, whatever the replica count; energy is at board
// power (an upper bound).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/architecture.h"
#include "models/decode_curve.h"
#include "models/deployment.h"
#include "models/serving/answer_lengths.h"
#include "sim/engine.h"

namespace kvsim::models::serving {

inline constexpr std::size_t kAnswerReplicas = 64;

struct AnswerCost {
  bool fits = false;
  double gpu_s_per_answer = 0, gpu_s_per_correct = 0, wh_per_correct = 0;  // NaN per correct without one
};

AnswerCost decode_answers(sim::Engine& engine, const std::string& prefix, const Architecture& arch, const Deployment& dep,
                          DecodeCurve& curve, std::int64_t prompt, const std::vector<Answer>& trace, double scale, double cap);

}  // namespace kvsim::models::serving
