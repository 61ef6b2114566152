// models/step_plan.h — one forward step as the ordered list of operations one GPU rank runs.
//
// Contract: plan_step() expands an architecture, a deployment and a step shape into operations
// per layer (kernels with their FLOPs and bytes, all-reduces, host<->device copies, host
// attention), in execution order, for ONE tensor-parallel rank (ranks are symmetric; sampling
// runs on rank 0). The plan is pure data: execution.h schedules it on the engine and `kvsim
// explain` prints it. Per-rank shares: heads, KV heads and FFN columns are divided by tp; the
// embedding and LM head are replicated.
//
// The host side (the deployment's software stack, hardware/profile.h StackProfile) is part of the
// plan: each op carries the host thread's time to issue it (Op::host), which the GPU may not start
// before. Eager: an equal share of the layer's eager ops (eager_ops_per_layer, plus the two NCCL
// calls of a tensor-parallel layer) on each of the layer's ops, and ops_outside_layers on the ops
// before and after the layers. Graphed: a replay on the first op of each graph (one per forward,
// or per span between attention calls when graph_pieces is per-layer, attention then issued as one
// eager op), and ops_after_graph on the LM head and sampling. An offloaded layer's synchronization
// is an op the host waits at (Op::host_sync). What an engine step adds around its forward (the
// step overhead, the final synchronization) is run_step's (execution.h).
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
  sim::Duration host = 0;        // host thread's time to issue this op (the GPU cannot start it earlier)
  bool host_sync = false;        // the host first waits for the GPUs' work so far (torch.cuda.synchronize)
};

std::vector<Op> plan_step(const Architecture& arch, const Deployment& dep, const StepShape& shape);

// The host thread's issue time of a plan: the sum of its ops' Op::host.
sim::Duration host_issue_time(const std::vector<Op>& plan);

// Tokens each query attends to for a shape (resolves attended = 0).
std::int64_t attended_tokens(const StepShape& s);

}  // namespace kvsim::models
