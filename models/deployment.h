// models/deployment.h — where a model runs: GPUs, tensor parallelism, where the KV cache lives.
#pragma once

#include <string>

#include "hardware/profile.h"

namespace kvsim::models {

enum class KvPlacement {
  kGpu,            // the whole KV cache in GPU memory
  kOffload,        // layers >= on_chip_layers live in pinned host memory, streamed per layer (TriForce)
  kHostAttention,  // KV in host memory, attention computed on the host CPU (DeepSpeed-ZeRO-Inference)
};
KvPlacement parse_kv_placement(const std::string& s);  // "gpu" | "offload" | "host-attention"
const char* kv_placement_name(KvPlacement p);

struct Deployment {
  hardware::GpuProfile gpu;
  int tp = 1;                        // tensor-parallel GPUs (weights and KV heads split)
  hardware::LinkProfile host_link;   // GPU <-> host
  hardware::LinkProfile peer_link;   // GPU <-> GPU (all-reduce)
  hardware::HostProfile host;
  KvPlacement kv = KvPlacement::kGpu;
  int on_chip_layers = 0;            // kOffload: layers whose KV stays on the GPU
  // Layers whose weights stay on the GPU; the others live in pinned host memory and are streamed
  // per layer into two GPU buffers like offloaded KV (-1: all layers on the GPU).
  int weight_layers_on_chip = -1;
  bool cuda_graphs = false;
  int host_threads = 0;              // kHostAttention: cores used (0 = all)
  int host_kv_bytes = 2;             // kHostAttention: bytes per K/V element in host memory (4: DeepSpeed's fp32 buffer)
  hardware::StackProfile stack;      // the software stack whose host thread drives the GPUs
};

// A deployment of `gpus` x `gpu` with the GPU profile's own host and peer links, the EPYC host of
// TriForce's experiments, and the given KV placement (for tools, tests and benchmarks).
Deployment standard_deployment(const hardware::Catalog& catalog, const std::string& gpu, int gpus = 1,
                               KvPlacement kv = KvPlacement::kGpu, int on_chip_layers = 0);

}  // namespace kvsim::models
