// models/serving/grpo.h — GRPO rollout of one prompt's group (Datarus S2): the KV and peak memory
// of three ways to hold the group, the largest group that fits, and the group's rollout time with
// each way's prefills and decodes run on its own GPUs on the engine.
//
// Contract (P prompt tokens, R response tokens, G completions):
// - batched: G sequences with their own prompt copy, G (P + R) tokens of KV, one batched prefill
//   of G prompts and a batched decode;
// - shared: the prompt's KV once and G responses, P + G R tokens, one prefill and the batched
//   decode;
// - sequential: one completion at a time, P + R tokens, G prefills and G decodes.
// Peak memory is everything but the KV (weights, activations and logits of the batch, one
// sequence for sequential) plus the strategy's KV, per GPU of the deployment.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "models/architecture.h"
#include "models/deployment.h"
#include "sim/engine.h"

namespace kvsim::models::serving {

enum class Grpo { kBatched, kShared, kSequential };
inline constexpr std::array<std::string_view, 3> kGrpoNames = {"batched", "shared", "sequential"};

struct GrpoShape {
  std::int64_t prompt = 0, response = 0, group = 1;
};

struct GrpoMemory {
  std::array<double, 3> kv{}, peak{};  // bytes per GPU, by Grpo
  std::array<bool, 3> fits{};
  double logits_fp32 = 0;              // the group's log-prob logits in fp32 (bytes)
};
GrpoMemory grpo_memory(const Architecture& arch, const Deployment& dep, const GrpoShape& s);

// The largest group (<= g_max) whose peak fits with strategy `how` (0 when none does).
std::int64_t grpo_max_group(const Architecture& arch, const Deployment& dep, std::int64_t prompt, std::int64_t response,
                            Grpo how, std::int64_t g_max);

// Seconds of the group's rollout per strategy: three processes, each on its own machine (named
// "<strategy>/gpu<r>"), run together on `engine` from its current time.
std::array<double, 3> grpo_times(sim::Engine& engine, const Architecture& arch, const Deployment& dep, const GrpoShape& s,
                                 std::int64_t curve_stride);

}  // namespace kvsim::models::serving
