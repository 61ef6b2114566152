// models/serving/reference_sharding.h — a frozen reference model (GRPO's KL term, Datarus S3)
// sharded over N GPUs or replicated on each.
//
// Contract:
// - reference_pass(): sharded over n GPUs, each holds W/n bytes and, while it computes its share of
//   the reference forward (G sequences of L tokens, 2 FLOPs per parameter per token at the GPU's
//   dense GEMM rate, split over the n GPUs), prefetches the other (n-1)/n for the next pass. Both
//   run on the engine from its current time: the share of the forward as an operation on each
//   GPU's "compute" stream ("<ring>/gpu<i>"), the all-gather as a ring of n links ("<ring>/<i>"),
//   n-1 steps, each GPU forwarding the chunk it received in the previous step, so it lasts
//   (n-1) (latency + (W/n) / bandwidth). What the gather adds beyond the compute is exposed.
// - max_group_beside(): the largest batched group (<= g_max, S2's batched KV at L - 1 cached
//   tokens) that fits on one GPU beside the policy and `reference_bytes` of reference weights.
#pragma once

#include <cstdint>
#include <string>

#include "hardware/profile.h"
#include "models/architecture.h"
#include "sim/engine.h"

namespace kvsim::models::serving {

struct ReferencePass {
  double gather_s = 0, compute_s = 0, exposed_s = 0;
};
ReferencePass reference_pass(sim::Engine& engine, const std::string& ring, const Architecture& arch, const hardware::GpuProfile& gpu,
                             int n, std::int64_t group, std::int64_t sequence_tokens, double bandwidth, sim::Duration latency);
std::int64_t max_group_beside(const Architecture& arch, const hardware::GpuProfile& gpu, std::int64_t sequence_tokens,
                              double reference_bytes, std::int64_t g_max);

}  // namespace kvsim::models::serving
