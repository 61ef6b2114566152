// tests/models/execution_test.cpp — step plans, memory verdicts and scheduling on the engine.
#include <gtest/gtest.h>

#include "hardware/profile.h"
#include "models/architecture.h"
#include "models/execution.h"
#include "models/memory.h"
#include "models/step_plan.h"
#include "scenarios/schema.h"

namespace kvsim::models {
namespace {

struct Fixture {
  hardware::Catalog cat = hardware::Catalog::load(hardware::Catalog::default_dir());
  Zoo zoo = Zoo::load(Zoo::default_dir());
  Deployment dep(const std::string& gpu, int tp, KvPlacement kv, int on_chip = 0) {
    return standard_deployment(cat, gpu, tp, kv, on_chip);
  }
};

sim::Duration simulate(const Deployment& d, const Architecture& a, const StepShape& s, StepStats* out = nullptr) {
  sim::Engine e;
  Machine m = make_machine(e, d);
  StepStats st;
  const auto plan = plan_step(a, d, s);
  e.spawn(run_step(e, m, d, plan, st), "step");
  e.run();
  if (out) *out = st;
  return st.latency;
}

TEST(StepPlan, OnChipStepIsTheSumOfItsOperations) {
  Fixture f;
  Deployment d = f.dep("a100-80gb-sxm", 1, KvPlacement::kGpu);
  d.stack = f.cat.stack("none");  // the GPU alone (host_issue_test.cpp adds the host)
  const Architecture& a = f.zoo.get("llama2-7b");
  StepShape s;
  s.cached = 4000;
  const auto plan = plan_step(a, d, s);
  sim::Duration sum = 0;
  for (const auto& op : plan) sum += op_cost(op, d).time;
  EXPECT_EQ(simulate(d, a, s), sum);  // one stream, nothing to overlap
  // 32 layers x 12 kernels + embedding, framework, norm, lm_head, sampling.
  EXPECT_EQ(plan.size(), 32u * 12 + 5);
}

TEST(StepPlan, FlopsOfThePlanEqualTheArchitectureFormula) {
  Fixture f;
  const Deployment d = f.dep("a100-80gb-sxm", 1, KvPlacement::kGpu);
  const Architecture& a = f.zoo.get("yarn-llama2-7b-128k");
  StepShape s;
  s.cached = 10000;
  s.q = 3;
  double flops = 0;
  for (const auto& op : plan_step(a, d, s)) flops += op.work.flops;
  EXPECT_NEAR(flops, a.decode_flops(3, 10000), 1e-9 * flops);
}

TEST(Offload, DoubleBufferingHidesComputeBehindCopies) {
  Fixture f;
  const Architecture& a = f.zoo.get("yarn-llama2-7b-128k");
  const Deployment d = f.dep("rtx4090", 1, KvPlacement::kOffload, 0);
  StepShape s;
  s.cached = 64000;
  StepStats st;
  const sim::Duration t = simulate(d, a, s, &st);
  // All 32 layers stream 64K tokens x 512 KiB / 32 layers each; the step is copy-bound:
  // at least the copies, and much less than copies + compute in sequence.
  const double copy_s = 32 * (64001.0 * 16384) / d.host_link.effective_bandwidth;
  EXPECT_GT(sim::to_seconds(t), copy_s);
  EXPECT_LT(sim::to_seconds(t), copy_s + sim::to_seconds(st.compute_busy) * 0.5);
  EXPECT_DOUBLE_EQ(st.h2d_bytes, 32 * 64001.0 * 16384);
}

TEST(Offload, MoreLayersOnChipIsFaster) {
  Fixture f;
  const Architecture& a = f.zoo.get("yarn-llama2-7b-128k");
  StepShape s;
  s.cached = 30000;
  const auto t0 = simulate(f.dep("rtx4090", 1, KvPlacement::kOffload, 0), a, s);
  const auto t8 = simulate(f.dep("rtx4090", 1, KvPlacement::kOffload, 8), a, s);
  const auto t32 = simulate(f.dep("rtx4090", 1, KvPlacement::kOffload, 32), a, s);
  EXPECT_GT(t0, t8);
  EXPECT_GT(t8, t32);
  EXPECT_EQ(t32, simulate(f.dep("rtx4090", 1, KvPlacement::kGpu), a, s));
}

TEST(TensorParallel, TwoGpusSplitTheWorkAndPayAllReduces) {
  Fixture f;
  const Architecture& a = f.zoo.get("yarn-llama2-7b-128k");
  StepShape s;
  s.cached = 8000;
  const auto plan = plan_step(a, f.dep("rtx4090", 2, KvPlacement::kGpu), s);
  int allreduces = 0;
  for (const auto& op : plan) allreduces += op.kind == OpKind::kAllReduce;
  EXPECT_EQ(allreduces, 2 * 32 + 1);  // two per layer, plus the sampled tokens' broadcast
  StepStats one, two;
  Deployment d1 = f.dep("rtx4090", 1, KvPlacement::kGpu), d2 = f.dep("rtx4090", 2, KvPlacement::kGpu);
  d1.stack = d2.stack = f.cat.stack("none");  // the GPUs' work (eager PyTorch would be host-bound on both)
  simulate(d1, a, s, &one);
  simulate(d2, a, s, &two);
  EXPECT_LT(two.latency, one.latency);  // half the weights and KV per GPU
  EXPECT_GT(two.time_by_class.at("all-reduce"), 0);
  EXPECT_THROW(plan_step(a, f.dep("rtx4090", 3, KvPlacement::kGpu), s), std::invalid_argument);
}

TEST(HostAttention, TheCpuReadsTheWholeCacheEveryStep) {
  Fixture f;
  const Architecture& a = f.zoo.get("yarn-llama2-7b-128k");
  Deployment d = f.dep("rtx4090", 1, KvPlacement::kHostAttention);
  StepShape s;
  s.cached = 100000;
  StepStats st;
  simulate(d, a, s, &st);
  // 100K tokens x 512 KiB of fp16 K and V, plus the softmax's ~6 fp32 passes over 32 heads' scores
  // in each of 32 layers, at 460.8 GB/s x 0.75: the host's memory bandwidth bounds attention
  // (128 cores x 5.7 GB/s would allow 730 GB/s).
  const double softmax = 32.0 * 6 * 32 * 100001 * 4;
  const double bw = d.host.memory_bandwidth * d.host.memory_efficiency;
  const double bound = (100001.0 * 512 * 1024 + softmax) / bw;
  EXPECT_NEAR(sim::to_seconds(st.host_busy), bound, bound * 0.01);
  EXPECT_GT(sim::to_seconds(st.latency), bound);
  // DeepSpeed's fp32 host buffer reads twice the K and V bytes.
  d.host_kv_bytes = 4;
  StepStats fp32;
  simulate(d, a, s, &fp32);
  const double bound32 = (2 * 100001.0 * 512 * 1024 + softmax) / bw;
  EXPECT_NEAR(sim::to_seconds(fp32.host_busy), bound32, bound32 * 0.01);
  // With only 8 cores the cores' loads, not the DRAM, bound it: 8 x 5.7 GB/s.
  d.host_threads = 8;
  StepStats few;
  simulate(d, a, s, &few);
  const double bound8 = (2 * 100001.0 * 512 * 1024 + softmax) / (8 * d.host.attention_bandwidth_per_core);
  EXPECT_NEAR(sim::to_seconds(few.host_busy), bound8, bound8 * 0.01);
}

TEST(Offload, WeightsStreamedPerLayerFitAndCostTheirBytes) {
  Fixture f;
  const Architecture& a = f.zoo.get("qwen2.5-14b");
  Deployment d = f.dep("rtx4090", 1, KvPlacement::kGpu);
  StepShape s;
  s.cached = 2000;
  EXPECT_FALSE(plan_memory(a, d, s).fits());  // 29.5 GB of weights on a 24 GB card
  d.weight_layers_on_chip = 8;
  const MemoryPlan m = plan_memory(a, d, s);
  EXPECT_TRUE(m.fits()) << m.describe();
  const double layer = static_cast<double>(a.layer_params()) * 2;
  EXPECT_DOUBLE_EQ(m.host_weights, 40 * layer);
  StepStats st;
  simulate(d, a, s, &st);
  EXPECT_DOUBLE_EQ(st.h2d_bytes, 40 * layer);
  // Copy-bound: at least the 40 layers' weights over PCIe.
  EXPECT_GT(sim::to_seconds(st.latency), 40 * layer / d.host_link.effective_bandwidth);
  EXPECT_LT(sim::to_seconds(st.latency), 1.2 * 40 * layer / d.host_link.effective_bandwidth + 0.01);
}

TEST(Memory, SevenBWithTheFullCacheFitsAnA100ButNotA4090) {
  Fixture f;
  const Architecture& a = f.zoo.get("yarn-llama2-7b-128k");
  StepShape s;
  s.cached = 124928;
  const MemoryPlan on_a100 = plan_memory(a, f.dep("a100-80gb-sxm", 1, KvPlacement::kGpu), s);
  EXPECT_TRUE(on_a100.fits());
  EXPECT_NEAR(on_a100.gpu_total / 1e9, 79.0, 0.5);  // ~13.5 GB weights + ~65.5 GB KV (Fig. 1: 78 GB)
  const MemoryPlan on_4090 = plan_memory(a, f.dep("rtx4090", 1, KvPlacement::kGpu), s);
  EXPECT_FALSE(on_4090.fits());
  EXPECT_NE(on_4090.describe().find("DOES NOT FIT"), std::string::npos);
  // Offloading 20 of 32 layers over 2 GPUs fits (TriForce's baseline configuration).
  EXPECT_TRUE(plan_memory(a, f.dep("rtx4090", 2, KvPlacement::kOffload, 12), s).fits());
}

// vLLM's memory: the KV cache in whole 16-token blocks per sequence, everything within 90% of the
// GPU (gpu_memory_utilization); a scenario may override the share like any profile field.
TEST(Memory, VllmAllocatesWholeBlocksWithinItsShareOfTheGpu) {
  Fixture f;
  const Architecture& a = f.zoo.get("llama2-7b");
  Deployment hf = f.dep("a100-80gb-sxm", 1, KvPlacement::kGpu);
  Deployment vllm = hf;
  vllm.stack = f.cat.stack("vllm");
  StepShape s;
  s.batch = 3;
  s.cached = 1000;  // 1,001 tokens with the step's own: 63 blocks of 16 = 1,008 slots per sequence
  const auto kv = [](const MemoryPlan& m) {
    for (const auto& it : m.gpu_items)
      if (it.name == "kv_cache") return it.bytes;
    return -1.0;
  };
  const double per_token = static_cast<double>(a.kv_bytes_per_token());
  EXPECT_DOUBLE_EQ(kv(plan_memory(a, hf, s)), 3 * 1001 * per_token);
  EXPECT_DOUBLE_EQ(kv(plan_memory(a, vllm, s)), 3 * 1008 * per_token);
  EXPECT_DOUBLE_EQ(plan_memory(a, vllm, s).gpu_capacity, 0.9 * hf.gpu.usable_memory_bytes);
  // 7B with the full 122K cache fills an A100 (79 GB): eager PyTorch holds it, vLLM at 0.9 does not.
  StepShape full;
  full.cached = 124928;
  EXPECT_TRUE(plan_memory(a, hf, full).fits());
  EXPECT_FALSE(plan_memory(a, vllm, full).fits());
  toml::table over;
  over.insert("memory_fraction", 0.99);
  Deployment tuned = hf;
  tuned.stack = f.cat.stack("vllm", &over, "test");
  EXPECT_TRUE(plan_memory(a, tuned, full).fits());
  toml::table typo;
  typo.insert("memory_fractoin", 0.99);
  EXPECT_THROW(f.cat.stack("vllm", &typo, "test"), scenarios::ScenarioError);
}

}  // namespace
}  // namespace kvsim::models
