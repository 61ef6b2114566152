// models/selection_cost.h — what a KV policy's decode step costs on a GPU: the attention over the
// rows it selected, the kernels a fused implementation of its selection launches, and the steps
// as spans on a stream.
//
// Contract: a step's kv::PolicyWork (the counts the policy declares; tests check them against
// what it did) becomes at most four kernels on the roofline of hardware/kernel_cost.h:
//   select-score   GEMV: 2 flops per multiply-accumulate (exponentials at 4 flops), one fp16
//                  key or summary element read per multiply-accumulate;
//   select-reduce  elementwise: comparisons, accumulations and summary updates, 1 flop and one
//                  fp32 read or write each;
//   select-topk    sampling class: each candidate read once as fp32 with log2(k) comparisons;
//   select-gather  elementwise: each gathered row's K and V (head_dim fp16 each) read and written.
// Kernels with no work are omitted. attention_kernel() is one layer's decode attention over the
// attended rows: 4 flops per row, query head and dimension (q.k and p.v), each kv head's K and V
// rows read once as fp16 (grouped query heads share them). Work is per kv head row as the policy counts it; a launch
// costs at least the profile's launch floor, so small models' selection is launch-bound.
#pragma once

#include <string>
#include <vector>

#include "hardware/kernel_cost.h"
#include "hardware/profile.h"
#include "models/kv/policy.h"
#include "sim/device.h"
#include "sim/task.h"

namespace kvsim::models {

// `step` may be a mean over steps (fractional counts are fine).
struct StepSelectionWork {
  double score_macs = 0, exps = 0, comparisons = 0, accumulations = 0, metadata_updates = 0;
  double topk_calls = 0, topk_candidates = 0, topk_selected = 0, gathered_rows = 0;
};
StepSelectionWork mean_step_work(const kv::PolicyWork& total, int steps);

std::vector<hardware::KernelWork> selection_kernels(const StepSelectionWork& step, int head_dim);

hardware::KernelWork attention_kernel(double rows, int head_dim, int n_heads, int n_kv_heads);

// Runs `steps` decode steps, each `kernels` one after another on `stream` (a span each);
// returns when the last has ended.
sim::Task<void> run_steps(sim::Stream& stream, const hardware::GpuProfile& gpu,
                          const std::vector<hardware::KernelWork>& kernels, int steps, bool cuda_graphs);

// The modeled time of `kernels` run one after another.
sim::Duration kernels_time(const hardware::GpuProfile& gpu, const std::vector<hardware::KernelWork>& kernels,
                           bool cuda_graphs);

}  // namespace kvsim::models
