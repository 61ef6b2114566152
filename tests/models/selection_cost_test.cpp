// tests/models/selection_cost_test.cpp — a policy's selection work as kernels: the flops and bytes
// of each kernel from hand-counted work, and the steps as spans on a stream (a launch-bound small
// step and a memory-bound large one, with hand-computed times).
#include <gtest/gtest.h>

#include <cmath>

#include "hardware/profile.h"
#include "models/selection_cost.h"
#include "sim/device.h"

namespace kvsim::models {
namespace {

const hardware::GpuProfile& a100() {
  static const hardware::GpuProfile g =
      hardware::Catalog::load(hardware::Catalog::default_dir()).gpu("a100-80gb-sxm");
  return g;
}

TEST(SelectionCost, KernelsCarryTheWorkTheyAreMadeOf) {
  kv::PolicyWork w;
  w.score_macs = 1000;
  w.exps = 10;
  w.comparisons = 300;
  w.accumulations = 100;
  w.topk_calls = 4;
  w.topk_candidates = 400;
  w.topk_selected = 28;  // k = 7 per call
  w.gathered_rows = 50;
  const auto k = selection_kernels(mean_step_work(w, 2), 64);  // two steps: half of each per step
  ASSERT_EQ(k.size(), 4u);
  EXPECT_EQ(k[0].name, "select-score");
  EXPECT_DOUBLE_EQ(k[0].flops, 2 * 500 + 4 * 5);
  EXPECT_DOUBLE_EQ(k[0].bytes, 2 * 500);
  EXPECT_DOUBLE_EQ(k[1].flops, 200);
  EXPECT_DOUBLE_EQ(k[1].bytes, 4 * 200);
  EXPECT_DOUBLE_EQ(k[2].flops, 200 * std::log2(8.0));
  EXPECT_DOUBLE_EQ(k[2].bytes, 4 * 200);
  EXPECT_DOUBLE_EQ(k[3].bytes, 25 * 2 * 64 * 2 * 2);
  EXPECT_TRUE(selection_kernels(StepSelectionWork{}, 64).empty()) << "no work, no kernels";
  // One layer's attention over 100 rows, 8 query heads sharing 2 kv heads of 64 dimensions.
  const hardware::KernelWork att = attention_kernel(100, 64, 8, 2);
  EXPECT_DOUBLE_EQ(att.flops, 4.0 * 100 * 64 * 8);
  EXPECT_DOUBLE_EQ(att.bytes, 100.0 * 2 * 64 * 2 * 2);
}

TEST(SelectionCost, StepsAreSpansLaunchBoundWhenSmallMemoryBoundWhenLarge) {
  StepSelectionWork small;
  small.score_macs = 1000;
  StepSelectionWork large;
  large.gathered_rows = 1e6;  // 1e6 rows x 2 x 128 x 2 B x 2 = 1.024 GB moved
  for (const bool big : {false, true}) {
    const auto kernels = selection_kernels(big ? large : small, 128);
    ASSERT_EQ(kernels.size(), 1u);
    // Hand: small = the eager launch floor; large = bytes / (bandwidth x memory efficiency).
    const double expect = big ? kernels[0].bytes / (a100().memory_bandwidth * a100().efficiency.elementwise_memory)
                              : sim::to_seconds(a100().kernel_launch);
    EXPECT_NEAR(sim::to_seconds(kernels_time(a100(), kernels, false)), expect, 1e-9) << big;
    sim::Engine e;
    e.timeline().keep_spans(true);
    sim::Device gpu(e, "gpu", {"compute"});
    e.spawn(run_steps(gpu.stream("compute"), a100(), kernels, 3, false), "selection");
    e.run();
    EXPECT_EQ(e.timeline().spans().size(), 3u);
    EXPECT_EQ(e.now(), 3 * kernels_time(a100(), kernels, false));
  }
}

}  // namespace
}  // namespace kvsim::models
