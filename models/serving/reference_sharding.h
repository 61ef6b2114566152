// models/serving/reference_sharding.h — a frozen reference model (GRPO's KL term, Datarus S3)
// sharded over N GPUs or replicated on each.
//
// Contract:
// - ring_allgather_seconds(): sharded over n GPUs, each holds W/n bytes and, before each reference
//   forward, gathers the other (n-1)/n. The all-gather runs on the engine as a ring from its
//   current time: n links named "<ring>/<i>", n-1 steps, each GPU forwarding the chunk it received
//   in the previous step, so it lasts (n-1) (latency + (W/n) / bandwidth) with the link's numbers.
// - reference_compute_seconds(): the reference forward over G sequences of L tokens split over n
//   GPUs, 2 FLOPs per parameter per token at the GPU's dense GEMM rate; with prefetching only the
//   part of the gather beyond it is exposed.
// - max_group_beside(): the largest batched group (<= g_max, S2's batched KV at L - 1 cached
//   tokens) that fits on one GPU beside the policy and `reference_bytes` of reference weights.
#pragma once

#include <cstdint>
#include <string>

#include "hardware/profile.h"
#include "models/architecture.h"
#include "sim/engine.h"

namespace kvsim::models::serving {

double ring_allgather_seconds(sim::Engine& engine, const std::string& ring, int n, double shard_bytes, double bandwidth,
                              sim::Duration latency);
double reference_compute_seconds(const Architecture& arch, const hardware::GpuProfile& gpu, int n, std::int64_t group,
                                 std::int64_t sequence_tokens);
std::int64_t max_group_beside(const Architecture& arch, const hardware::GpuProfile& gpu, std::int64_t sequence_tokens,
                              double reference_bytes, std::int64_t g_max);

}  // namespace kvsim::models::serving
