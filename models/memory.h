// models/memory.h — what a deployment holds in GPU and host memory, and whether it fits.
//
// Contract: plan_memory() itemizes one GPU rank's memory (weights, KV on the GPU, offload
// buffers, extra residents such as a retrieval cache or a draft model, activations and logits)
// and the host memory holding offloaded KV, and compares them with the profiles' capacities.
// A configuration that does not fit is never simulated silently: callers check `fits` and
// report `describe()`.
#pragma once

#include <string>
#include <vector>

#include "models/architecture.h"
#include "models/deployment.h"
#include "models/step_plan.h"

namespace kvsim::models {

struct MemoryItem {
  std::string name;
  double bytes = 0;
};

struct MemoryPlan {
  std::vector<MemoryItem> gpu_items;  // per rank
  double gpu_total = 0;
  double gpu_capacity = 0;
  double host_kv = 0;                 // all ranks together
  double host_weights = 0;            // offloaded weights, all ranks together
  double host_capacity = 0;
  bool gpu_fits() const { return gpu_total <= gpu_capacity; }
  bool host_fits() const { return host_kv + host_weights <= host_capacity; }
  bool fits() const { return gpu_fits() && host_fits(); }
  std::string describe() const;       // one line per item, with GiB and the verdict
};

MemoryPlan plan_memory(const Architecture& arch, const Deployment& dep, const StepShape& shape,
                       const std::vector<MemoryItem>& extra_residents = {});

// Weight bytes held by one rank (linear layers split by tp, embedding and LM head replicated).
double weight_bytes_per_rank(const Architecture& arch, int tp);

// What one GPU of the deployment may allocate: its usable memory times the stack's share (vLLM
// preallocates gpu_memory_utilization of it and never more).
double gpu_capacity(const Deployment& dep);

// The KV slots a sequence of `tokens` occupies: whole blocks of the stack's kv_block_tokens.
std::int64_t kv_slots(const Deployment& dep, std::int64_t tokens);

}  // namespace kvsim::models
