// hardware/kernel_cost.cpp — the roofline, copy and collective formulas.
#include "hardware/kernel_cost.h"

#include <algorithm>
#include <stdexcept>

namespace kvsim::hardware {

std::string_view kernel_class_name(KernelClass c) {
  switch (c) {
    case KernelClass::kGemm: return "gemm";
    case KernelClass::kGemv: return "gemv";
    case KernelClass::kAttention: return "attention";
    case KernelClass::kElementwise: return "elementwise";
    case KernelClass::kSampling: return "sampling";
  }
  return "?";
}

std::string_view bound_name(Bound b) {
  switch (b) {
    case Bound::kCompute: return "compute";
    case Bound::kMemory: return "memory";
    case Bound::kLaunch: return "launch";
    case Bound::kLink: return "link";
    case Bound::kHostCompute: return "host-compute";
    case Bound::kHostMemory: return "host-memory";
  }
  return "?";
}

Cost kernel_cost(const GpuProfile& gpu, const KernelWork& k, bool cuda_graphs) {
  const GpuEfficiency& e = gpu.efficiency;
  double compute_eff = e.gemm_compute, memory_eff = e.elementwise_memory;
  switch (k.cls) {
    case KernelClass::kGemm: memory_eff = e.gemv_memory; break;
    case KernelClass::kGemv: memory_eff = e.gemv_memory; break;
    case KernelClass::kAttention: memory_eff = e.attention_memory; break;
    case KernelClass::kElementwise: memory_eff = e.elementwise_memory; break;
    case KernelClass::kSampling: memory_eff = e.sampling_memory; break;
  }
  const double t_compute = k.flops / (gpu.peak_fp16 * compute_eff);
  const double t_memory = k.bytes / (gpu.memory_bandwidth * memory_eff);
  Cost c;
  c.bound = t_compute > t_memory ? Bound::kCompute : Bound::kMemory;
  c.time = sim::from_seconds(std::max(t_compute, t_memory));
  const sim::Duration launch = cuda_graphs ? gpu.graph_kernel_launch : gpu.kernel_launch;
  if (launch > c.time) {
    c.time = launch;
    c.bound = Bound::kLaunch;
  }
  return c;
}

Cost copy_cost(const LinkProfile& link, double bytes, bool host_to_device) {
  const double bw = host_to_device ? link.effective_bandwidth : link.effective_d2h;
  return Cost{link.latency + sim::from_seconds(bytes / bw), Bound::kLink};
}

Cost allreduce_cost(const LinkProfile& link, double bytes, int gpus) {
  if (gpus < 1) throw std::invalid_argument("all-reduce needs at least one GPU");
  if (gpus == 1) return Cost{0, Bound::kLink};
  const double steps = 2.0 * (gpus - 1);
  const double t = steps * sim::to_seconds(link.latency) + steps / gpus * bytes / link.effective_bandwidth;
  return Cost{sim::from_seconds(t), Bound::kLink};
}

Cost host_compute_cost(const HostProfile& host, double flops, double bytes, int cores_used) {
  const int cores = cores_used <= 0 ? host.cores : std::min(cores_used, host.cores);  // 0: all cores
  const double t_compute = flops / (cores * host.fp32_per_core * host.compute_efficiency);
  // Memory: the DRAM's achievable bandwidth, or what the cores used can pull through their loads.
  const double t_dram = bytes / (host.memory_bandwidth * host.memory_efficiency);
  const double t_cores = host.attention_bandwidth_per_core > 0 ? bytes / (cores * host.attention_bandwidth_per_core) : 0;
  const double t_memory = std::max(t_dram, t_cores);
  return t_compute > t_memory ? Cost{sim::from_seconds(t_compute), Bound::kHostCompute}
                              : Cost{sim::from_seconds(t_memory), Bound::kHostMemory};
}

}  // namespace kvsim::hardware
