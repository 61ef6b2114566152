// models/step_plan.h — one forward step as the ordered list of operations one GPU rank runs.
//
// Contract: plan_step() expands an architecture, a deployment and a step shape into operations
// per layer (kernels with their FLOPs and bytes, all-reduces, host<->device copies, host
// attention), in execution order, for ONE tensor-parallel rank (ranks are symmetric; sampling
// runs on rank 0). The plan is pure data: execution.h schedules it on the engine and `kvsim
// explain` prints it. Per-rank shares: heads, KV heads and FFN columns are divided by tp; the
// embedding and LM head are replicated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hardware/kernel_cost.h"
#include "sim/time.h"
#include "models/architecture.h"
#include "models/deployment.h"

namespace kvsim::models {

struct StepShape {
  std::int64_t batch = 1;        // sequences, each with its own cache
  std::int64_t q = 1;            // new tokens per sequence in this forward (1 = decode; gamma+1 = verify)
  std::int64_t cached = 0;       // tokens in each sequence's KV cache before this forward
  std::int64_t attended = 0;     // tokens each query attends to (0 = all cached + new)
  bool gather_selected = false;  // a sparse selection is gathered into a dense buffer each step
  bool sample = true;            // sample next tokens on the GPU at the end
};

enum class OpKind { kFramework, kKernel, kAllReduce, kCopyH2D, kCopyD2H, kHostAttention };
const char* op_kind_name(OpKind k);

struct Op {
  OpKind kind = OpKind::kKernel;
  int layer = -1;                // -1: before the layers, -2: after them
  hardware::KernelWork work;     // kernels; host attention uses flops/bytes too
  double bytes = 0;              // copies, all-reduces
  sim::Duration fixed = 0;       // kFramework: host-side time during which the GPU waits
  bool prefetch = false;         // kCopyH2D of an offloaded layer's KV (double-buffered)
  bool rank0_only = false;       // sampling
};

std::vector<Op> plan_step(const Architecture& arch, const Deployment& dep, const StepShape& shape);

// Tokens each query attends to for a shape (resolves attended = 0).
std::int64_t attended_tokens(const StepShape& s);

}  // namespace kvsim::models
