// models/selection_cost.cpp — a policy's selection work as kernels on the engine.
#include "models/selection_cost.h"

#include <cmath>

namespace kvsim::models {

StepSelectionWork mean_step_work(const kv::PolicyWork& t, int steps) {
  const double n = steps > 0 ? static_cast<double>(steps) : 1.0;
  auto per = [&](std::int64_t v) { return static_cast<double>(v) / n; };
  return {per(t.score_macs),   per(t.exps),          per(t.comparisons),     per(t.accumulations), per(t.metadata_updates),
          per(t.topk_calls),   per(t.topk_candidates), per(t.topk_selected), per(t.gathered_rows)};
}

std::vector<hardware::KernelWork> selection_kernels(const StepSelectionWork& s, int head_dim) {
  constexpr double kFp16 = 2, kFp32 = 4, kFlopsPerExp = 4;
  std::vector<hardware::KernelWork> out;
  if (s.score_macs > 0 || s.exps > 0)
    out.push_back({"select-score", hardware::KernelClass::kGemv, 2 * s.score_macs + kFlopsPerExp * s.exps, kFp16 * s.score_macs});
  const double elementwise = s.comparisons + s.accumulations + s.metadata_updates;
  if (elementwise > 0) out.push_back({"select-reduce", hardware::KernelClass::kElementwise, elementwise, kFp32 * elementwise});
  if (s.topk_calls > 0 && s.topk_candidates > 0) {
    const double k = std::max(1.0, s.topk_selected / s.topk_calls);
    out.push_back({"select-topk", hardware::KernelClass::kSampling, s.topk_candidates * std::log2(k + 1), kFp32 * s.topk_candidates});
  }
  if (s.gathered_rows > 0) {
    const double bytes = s.gathered_rows * 2 /* K and V */ * head_dim * kFp16 * 2 /* read, write */;
    out.push_back({"select-gather", hardware::KernelClass::kElementwise, 0, bytes});
  }
  return out;
}

hardware::KernelWork attention_kernel(double rows, int head_dim, int n_heads, int n_kv_heads) {
  constexpr double kFp16 = 2;
  return {"decode-attention", hardware::KernelClass::kAttention, 4.0 * rows * head_dim * n_heads,
          rows * 2 /* K and V */ * head_dim * kFp16 * n_kv_heads};
}

sim::Duration kernels_time(const hardware::GpuProfile& gpu, const std::vector<hardware::KernelWork>& kernels,
                           bool cuda_graphs) {
  sim::Duration t = 0;
  for (const auto& k : kernels) t += hardware::kernel_cost(gpu, k, cuda_graphs).time;
  return t;
}

sim::Task<void> run_steps(sim::Stream& stream, const hardware::GpuProfile& gpu,
                          const std::vector<hardware::KernelWork>& kernels, int steps, bool cuda_graphs) {
  for (int step = 0; step < steps; ++step)
    for (const auto& k : kernels) co_await stream.execute(hardware::kernel_cost(gpu, k, cuda_graphs).time, k.name);
}

}  // namespace kvsim::models
