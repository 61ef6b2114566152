// models/serving/reference_sharding.cpp — see reference_sharding.h.
#include "models/serving/reference_sharding.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "models/deployment.h"
#include "models/memory.h"
#include "models/step_plan.h"
#include "sim/device.h"
#include "sim/link.h"

namespace kvsim::models::serving {

namespace {

sim::Task<void> ring_member(sim::Engine& e, sim::Link& out, sim::Link& in, int steps, std::uint64_t chunk, sim::Time& done) {
  // Step 0 sends our own shard; each later step forwards what arrived in the previous one.
  for (int s = 0; s < steps; ++s) {
    sim::Message m;
    m.charged_bytes = chunk;
    if (e.timeline().keeps_spans()) m.label = "shard";
    out.send(0, std::move(m));
    (void)co_await in.receive(1);
  }
  done = std::max(done, e.now());
}

}  // namespace

ReferencePass reference_pass(sim::Engine& e, const std::string& ring, const Architecture& arch, const hardware::GpuProfile& gpu,
                             int n, std::int64_t group, std::int64_t sequence_tokens, double bandwidth, sim::Duration latency) {
  const sim::Time start = e.now();
  const double flops = static_cast<double>(group) * static_cast<double>(sequence_tokens) * 2.0 * static_cast<double>(arch.params());
  const sim::Duration compute = sim::from_seconds(flops / (n * gpu.peak_fp16 * gpu.efficiency.gemm_compute));
  std::vector<std::unique_ptr<sim::Device>> gpus;
  sim::Time compute_end = start;
  for (int i = 0; i < n; ++i) {
    gpus.push_back(std::make_unique<sim::Device>(e, ring + "/gpu" + std::to_string(i), std::vector<std::string>{"compute"}));
    compute_end = std::max(compute_end, gpus.back()->stream("compute").enqueue(compute, "reference forward").end);
  }
  std::vector<std::unique_ptr<sim::Link>> links;  // link i: GPU i -> GPU (i+1) % n
  sim::Time gathered = start;
  if (n > 1) {
    const auto shard = static_cast<std::uint64_t>(std::llround(static_cast<double>(arch.weight_bytes()) / n));
    for (int i = 0; i < n; ++i)
      links.push_back(std::make_unique<sim::Link>(e, sim::LinkConfig{ring + "/" + std::to_string(i), bandwidth, latency, 0}));
    for (int i = 0; i < n; ++i)
      e.spawn(ring_member(e, *links[i], *links[(i + n - 1) % n], n - 1, shard, gathered), ring + "/gpu" + std::to_string(i));
  }
  e.run();
  ReferencePass p;
  p.gather_s = sim::to_seconds(gathered - start);
  p.compute_s = sim::to_seconds(compute_end - start);
  p.exposed_s = sim::to_seconds(std::max(gathered, compute_end) - compute_end);
  return p;
}

std::int64_t max_group_beside(const Architecture& arch, const hardware::GpuProfile& gpu, std::int64_t sequence_tokens,
                              double reference_bytes, std::int64_t g_max) {
  Deployment d;
  d.gpu = gpu;
  std::int64_t best = 0;
  for (std::int64_t g = 1; g <= g_max; ++g) {
    StepShape s;
    s.batch = g;
    s.cached = sequence_tokens - 1;
    const MemoryPlan m = plan_memory(arch, d, s, {{"reference", reference_bytes}});
    if (m.gpu_total <= gpu.usable_memory_bytes) best = g;
    else break;
  }
  return best;
}

}  // namespace kvsim::models::serving
