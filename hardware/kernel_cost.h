// hardware/kernel_cost.h — how long a kernel, a copy or a collective takes on modeled hardware.
//
// Contract (roofline with measured efficiencies, all inputs from profiles):
//   kernel:     t = max(flops / (peak_fp16 * compute_eff), bytes / (bandwidth * memory_eff))
//               and never less than the launch cost (eager launch, or a CUDA-graph node), because
//               a GPU fed by an asynchronous launcher idles when kernels are shorter than launches.
//   copy:       t = latency + bytes / effective bandwidth (H2D or D2H).
//   all-reduce: ring over n GPUs, 2(n-1) steps of bytes/n each:
//               t = 2(n-1) * latency + 2(n-1)/n * bytes / effective bandwidth.
//   host:       t = max(flops / (cores * fp32_per_core * compute_eff), bytes / (bandwidth * eff),
//                       bytes / (cores * attention_bandwidth_per_core)).
// Each result says what bound it (compute, memory or launch) so `kvsim explain` can print it.
#pragma once

#include <string>
#include <string_view>

#include "hardware/profile.h"
#include "sim/time.h"

namespace kvsim::hardware {

enum class KernelClass { kGemm, kGemv, kAttention, kElementwise, kSampling };
std::string_view kernel_class_name(KernelClass c);

enum class Bound { kCompute, kMemory, kLaunch, kLink, kHostCompute, kHostMemory };
std::string_view bound_name(Bound b);

struct KernelWork {
  std::string name;  // e.g. "qkv_proj"
  KernelClass cls = KernelClass::kElementwise;
  double flops = 0;
  double bytes = 0;  // bytes moved to/from device memory
};

struct Cost {
  sim::Duration time = 0;
  Bound bound = Bound::kMemory;
};

Cost kernel_cost(const GpuProfile& gpu, const KernelWork& k, bool cuda_graphs);
Cost copy_cost(const LinkProfile& link, double bytes, bool host_to_device);
Cost allreduce_cost(const LinkProfile& link, double bytes, int gpus);
// cores_used <= 0 means every core of the host.
Cost host_compute_cost(const HostProfile& host, double flops, double bytes, int cores_used);

}  // namespace kvsim::hardware
