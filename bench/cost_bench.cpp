// bench/cost_bench.cpp — wall time of cost mode: planning and scheduling one simulated 128K
// decode step of a 7B model, and `kvsim explain` of it. Figures go in README's "Performance".
#include <benchmark/benchmark.h>

#include <sstream>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "private_decode/prompt.h"
#include "private_decode/run.h"
#include "app/runner/reproduction.h"
#include "models/lm/small_lm.h"
#include "hardware/profile.h"
#include "models/architecture.h"
#include "models/decode_curve.h"
#include "models/execution.h"
#include "models/step_plan.h"

namespace kvsim {
namespace {

struct Setup {
  hardware::Catalog cat = hardware::Catalog::load(hardware::Catalog::default_dir());
  models::Zoo zoo = models::Zoo::load(models::Zoo::default_dir());
  models::Deployment dep(const std::string& gpu, int tp, models::KvPlacement kv, int on_chip) {
    return models::standard_deployment(cat, gpu, tp, kv, on_chip);
  }
};

// One simulated decode step at 128K context: plan (32 layers x ~13 ops) + schedule on the engine.
void BM_Decode128KStep(benchmark::State& state) {
  Setup s;
  const auto& arch = s.zoo.get("yarn-llama2-7b-128k");
  const models::Deployment d = state.range(0) == 0 ? s.dep("a100-80gb-sxm", 1, models::KvPlacement::kGpu, 0)
                                                   : s.dep("rtx4090", 2, models::KvPlacement::kOffload, 12);
  for (auto _ : state) benchmark::DoNotOptimize(models::simulate_forward(arch, d, 1, 1, 131072));
  state.SetLabel(state.range(0) == 0 ? "A100, KV on GPU" : "2x4090, TP + offload");
}
BENCHMARK(BM_Decode128KStep)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// Consecutive decode steps in one engine (context growing): the cost per simulated token.
sim::Task<void> decode_n(sim::Engine& e, models::Machine& m, const models::Deployment& d, const models::Architecture& a,
                         int n) {
  models::StepShape shape;
  shape.cached = 124928;
  for (int i = 0; i < n; ++i) {
    models::StepStats st;
    co_await models::run_step(e, m, d, models::plan_step(a, d, shape), st);
    ++shape.cached;
  }
}

void BM_DecodeTokens(benchmark::State& state) {
  Setup s;
  const auto& arch = s.zoo.get("yarn-llama2-7b-128k");
  const models::Deployment d = s.dep("a100-80gb-sxm", 1, models::KvPlacement::kGpu, 0);
  const int n = 256;
  for (auto _ : state) {
    sim::Engine e;
    models::Machine m = models::make_machine(e, d);
    e.spawn(decode_n(e, m, d, arch, n), "decode");
    e.run();
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * n, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeTokens)->Unit(benchmark::kMillisecond);

void BM_Explain128K(benchmark::State& state) {
  const runner::KindRegistry kinds = runner::builtin_kinds();
  const auto points = scenarios::resolve(std::string(KVSIM_SOURCE_DIR) + "/scenarios/calibration/fig1-target-full.toml",
                                         {}, kinds.lookup());
  for (auto _ : state) {
    std::ostringstream out;
    kinds.find("decode")->explain(points[0], out);
    benchmark::DoNotOptimize(out.str().size());
  }
}
BENCHMARK(BM_Explain128K)->Unit(benchmark::kMicrosecond);

// `kvsim reproduce NAME` without the printing and the HDF5 file: every scenario of the set, on
// `jobs` threads (the target for TriForce: seconds, not minutes).
void BM_Reproduce(benchmark::State& state, const char* name) {
  for (auto _ : state) {
    const runner::KindRegistry kinds = runner::builtin_kinds();  // fresh: no episode caches kept
    const auto res = runner::run_reproduction(name, std::string(KVSIM_SOURCE_DIR) + "/scenarios", kinds,
                                              static_cast<unsigned>(state.range(0)));
    benchmark::DoNotOptimize(res.tables.size());
  }
}
BENCHMARK_CAPTURE(BM_Reproduce, triforce, "triforce")->Arg(1)->Arg(2)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_Reproduce, mpcache, "mpcache")->Arg(2)->Iterations(1)->Unit(benchmark::kSecond);

// The small trained model's dense prefill (execute mode, one core): what every kv-quality episode
// and every small-model acceptance episode costs before a policy runs.
void BM_SmallLmPrefill(benchmark::State& state) {
  const models::lm::LmWeights w = models::lm::load_small_lm(models::lm::default_small_lm_path());
  std::vector<int> prompt(static_cast<std::size_t>(state.range(0)));
  for (std::size_t i = 0; i < prompt.size(); ++i) prompt[i] = 'a' + static_cast<int>((i * 7) % 26);
  for (auto _ : state) {
    models::lm::SmallLm lm(w);
    models::lm::PrefillCapture capture;
    benchmark::DoNotOptimize(lm.prefill(prompt, nullptr, &capture).data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SmallLmPrefill)->Arg(512)->Arg(2048)->Unit(benchmark::kMillisecond);

// One private decode step of the small trained model under 3-party ABY3 on the simulated LAN, in
// execute mode. Timed: the whole run (secret-sharing the weights and the 512-token prompt's KV, then
// the step), which is what a user waits for.
void BM_PrivateDecodeSmallModel(benchmark::State& state) {
  const hardware::Catalog cat = hardware::Catalog::load(hardware::Catalog::default_dir());
  const models::lm::LmWeights w = models::lm::load_small_lm(models::lm::default_small_lm_path());
  models::lm::SmallLm lm(w);
  std::vector<int> prompt(512);
  for (std::size_t i = 0; i < prompt.size(); ++i) prompt[i] = 'a' + static_cast<int>(i % 26);
  lm.prefill(prompt);
  private_decode::PrivateRun run;
  run.arch = private_decode::private_arch(w.config);
  run.context = 512;
  run.model = &lm;
  run.token = 'a';
  for (auto _ : state) {
    sim::Engine engine(run.seed);
    benchmark::DoNotOptimize(private_decode::run_private_decode(engine, run, cat.link("lan-bumblebee"), cat.host("xeon-server")).total.bytes);
  }
}
BENCHMARK(BM_PrivateDecodeSmallModel)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kvsim
