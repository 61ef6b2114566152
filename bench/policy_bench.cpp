// bench/policy_bench.cpp — selection time per decode step against context length, for every KV
// policy: 2 layers of 8 query heads over 2 KV heads, head_dim 128 (a quarter of a Llama-3-8B
// layer's heads), seeded random Q/K/V, budget 1024 tokens. Each step includes the attention over
// the selection, so dense and sparse steps compare. Figures go in README's "Performance".
#include <benchmark/benchmark.h>

#include "models/kv/policy.h"
#include "models/kv/synthetic_run.h"

namespace kvsim::models::kv {
namespace {

void BM_SelectionPerStep(benchmark::State& state, const std::string& policy) {
  const int context = static_cast<int>(state.range(0));
  const PolicyShape shape{2, 8, 2, 128, context};
  PolicyParams params;
  if (policy != "full") params["budget"] = 1024;
  SyntheticRun run(shape, 7, context + 4096);
  auto p = make_policy(policy, params);
  run.prefill(*p);
  for (auto _ : state) {
    if (run.length() >= context + 4095) {
      state.PauseTiming();
      run.prefill(*p);
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(run.step(*p).data());
  }
  state.SetLabel(policy + ", 2 layers x 8 heads");
}

void register_all() {
  for (const auto& info : policy_catalog()) {
    auto* b = benchmark::RegisterBenchmark(("BM_SelectionPerStep/" + info.name).c_str(),
                                           [name = info.name](benchmark::State& s) { BM_SelectionPerStep(s, name); });
    b->Arg(2048)->Arg(8192)->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace
}  // namespace kvsim::models::kv

int main(int argc, char** argv) {
  kvsim::models::kv::register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
