// tests/app/datarus_test.cpp — the Datarus scenarios: formulas, closed forms, monotonic effects,
// the answer-length reconstruction, and the reproduction's tables and references.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "models/serving/answer_lengths.h"
#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/reproduction.h"
#include "app/runner/run_point.h"
#include "models/architecture.h"
#include "models/decode_curve.h"

namespace kvsim::runner {
namespace {

namespace fs = std::filesystem;

const std::string kScenarios = std::string(KVSIM_SOURCE_DIR) + "/scenarios";

std::map<std::string, double> rows_of(const std::vector<results::ReproRow>& rows) {
  std::map<std::string, double> m;
  for (const auto& r : rows) m[r.row + "|" + r.metric] = r.simulated;
  return m;
}

std::vector<results::ReproRow> run_table(const std::string& file, const std::vector<std::string>& sets = {}) {
  const KindRegistry kinds = builtin_kinds();
  const auto points = scenarios::resolve(kScenarios + "/datarus/" + file, sets, kinds.lookup());
  std::vector<results::ReproRow> rows;
  run_point(points.at(0), kinds, RunOptions{}, &rows);
  return rows;
}

TEST(AnswerLengths, TraceHasThePublishedStatistics) {
  const models::serving::AnswerStats s{2400, 0.516, 10440, 28814, 30268, 0.095};
  sim::Rng rng = sim::RandomStreams(1).stream("t");
  const auto trace = models::serving::synthesize_answers(s, rng);
  ASSERT_EQ(trace.size(), 2400u);
  double total = 0;
  int correct = 0, capped = 0;
  for (const auto& a : trace) {
    total += static_cast<double>(a.tokens);
    correct += a.correct;
    capped += a.tokens == 30268;
    EXPECT_FALSE(a.tokens == 30268 && a.correct);  // truncated answers are wrong
    ASSERT_GE(a.tokens, 1);
    ASSERT_LE(a.tokens, 30268);
  }
  EXPECT_EQ(correct, 1238);  // round(0.516 x 2400)
  EXPECT_EQ(capped, 228);    // round(0.095 x 2400)
  EXPECT_NEAR(total / 2400, 10440, 0.03 * 10440);
  // Same stream, same trace.
  sim::Rng again = sim::RandomStreams(1).stream("t");
  const auto trace2 = models::serving::synthesize_answers(s, again);
  for (std::size_t i = 0; i < trace.size(); ++i) ASSERT_EQ(trace[i].tokens, trace2[i].tokens);
}

TEST(AnswerLengths, NormalQuantileInvertsTheCdf) {
  for (double p : {1e-6, 0.01, 0.3, 0.5, 0.9, 0.999999}) EXPECT_NEAR(models::serving::normal_cdf(models::serving::normal_quantile(p)), p, 1e-12);
  EXPECT_THROW(models::serving::normal_quantile(0), std::invalid_argument);
}

TEST(DecodeCurve, SumOfStepsIsExactForALinearCurve) {
  const hardware::Catalog cat = hardware::Catalog::load(hardware::Catalog::default_dir());
  const models::Zoo zoo = models::Zoo::load(models::Zoo::default_dir());
  models::Deployment d = models::standard_deployment(cat, "h100-80gb-sxm");
  d.gpu.efficiency = {1, 1, 1, 1, 1};
  d.gpu.kernel_launch = d.gpu.graph_kernel_launch = 0;
  d.stack = cat.stack("none");
  const auto& a = zoo.get("qwen2.5-14b");
  models::DecodeCurve coarse(a, d, 1, 512), fine(a, d, 1, 1);
  // With an ideal GPU the step time is affine in the context: the grid sum equals the step-by-step sum.
  // (Each simulated step is rounded to the picosecond: equal to 1e-9 relative.)
  EXPECT_NEAR(coarse.generate_seconds(200, 3000), fine.generate_seconds(200, 3000), 1e-9 * fine.generate_seconds(200, 3000));
  // The closed form of the brief's S1 check: sum over steps of (W + kv (P + i)) / BW.
  double closed = 0;
  for (int i = 0; i < 3000; ++i) closed += fine.step_seconds(200 + i);
  EXPECT_NEAR(fine.generate_seconds(200, 3000), closed, 1e-9);
  const double bytes0 = a.decode_bytes(1, 200), bytes1 = a.decode_bytes(1, 201);
  EXPECT_NEAR(fine.step_seconds(201) - fine.step_seconds(200), (bytes1 - bytes0) / d.gpu.memory_bandwidth,
              0.02 * (bytes1 - bytes0) / d.gpu.memory_bandwidth);
}

TEST(GrpoRollout, MemoryFormulasAndMonotonicEffects) {
  const auto m = rows_of(run_table("s2-grpo-rollout.toml"));
  const double gib = 1024.0 * 1024 * 1024, kv = 192 * 1024;
  // G (P + R) kv, (P + G R) kv, (P + R) kv at P = 1024, R = 4096, G = 8: exactly.
  EXPECT_DOUBLE_EQ(m.at("P=1024/R=4096/G=8|kv_batched"), 8.0 * 5120 * kv / gib);
  EXPECT_DOUBLE_EQ(m.at("P=1024/R=4096/G=8|kv_shared"), (1024.0 + 8 * 4096) * kv / gib);
  EXPECT_DOUBLE_EQ(m.at("P=1024/R=4096/G=8|kv_sequential"), 5120.0 * kv / gib);
  for (int G : {4, 8, 16}) {
    const std::string row = "P=1024/R=4096/G=" + std::to_string(G);
    // Sequential generation lowers peak memory and raises time; sharing the prefix lowers memory.
    EXPECT_LT(m.at(row + "|peak_sequential"), m.at(row + "|peak_shared"));
    EXPECT_LT(m.at(row + "|peak_shared"), m.at(row + "|peak_batched"));
    EXPECT_GT(m.at(row + "|time_sequential"), m.at(row + "|time_batched"));
    EXPECT_LE(m.at(row + "|time_shared"), m.at(row + "|time_batched"));
  }
  EXPECT_GE(m.at("P=1024/R=4096|max_group_shared"), m.at("P=1024/R=4096|max_group_batched"));
  EXPECT_GT(m.at("P=1024/R=4096|max_group_batched"), m.at("P=1024/R=8192|max_group_batched"));
}

TEST(GrpoRollout, FitsOrNot) {
  // A 14B in BF16 on one 24 GB card: nothing fits; on an 80 GB card G = 4 does.
  const auto small = rows_of(run_table("s2-grpo-rollout.toml", {"deployment.gpu=rtx4090"}));
  EXPECT_EQ(small.at("P=1024/R=4096/G=4|fits_batched"), 0.0);
  EXPECT_TRUE(std::isnan(small.at("P=1024/R=4096/G=4|time_batched")));
  EXPECT_EQ(small.at("P=1024/R=4096|max_group_batched"), 0.0);
  const auto big = rows_of(run_table("s2-grpo-rollout.toml"));
  EXPECT_EQ(big.at("P=1024/R=4096/G=4|fits_batched"), 1.0);
}

TEST(ReferenceSharding, MemoryAndGatherFollowTheFormulas) {
  const auto m = rows_of(run_table("s3-reference-sharding-nominal.toml"));
  const double W = 2.0 * 14'770'033'664;  // BF16 bytes of Qwen2.5-14B
  EXPECT_NEAR(m.at("h100-nvlink4/N=4|reference_gb_per_gpu"), W / 4 / 1e9, 1e-3);
  EXPECT_NEAR(m.at("h100-nvlink4/N=8|allgather_gb_per_gpu"), W * 7 / 8 / 1e9, 1e-3);
  // Ring all-gather on the engine: (N - 1) steps of (latency + W/N / bandwidth).
  EXPECT_NEAR(m.at("h100-nvlink4/N=8|allgather_s"), 7 * (3e-6 + W / 8 / 450e9), 1e-9);
  // The gather dominates on PCIe-connected cards and hides on NVLink.
  EXPECT_GT(m.at("4090-pcie4/N=8|allgather_s"), 10 * m.at("h100-nvlink4/N=8|allgather_s"));
  EXPECT_GE(m.at("h100-nvlink4/N=8|max_group_sharded"), m.at("h100-nvlink4/N=8|max_group_replicated"));
}

TEST(AgenticTurns, PrefixCachingMakesPrefillLinear) {
  const auto m = rows_of(run_table("s4-agentic-turns.toml"));
  // Without caching turn i prefills S + (i-1) T + T - r; with caching always T - r.
  for (int i = 1; i <= 30; ++i) {
    const std::string row = "turn=" + std::to_string(i);
    EXPECT_EQ(m.at(row + "|prefill_tokens_no_cache"), 1024.0 + (i - 1) * 2048 + 1536);
    EXPECT_EQ(m.at(row + "|prefill_tokens_cache"), 1536.0);
  }
  EXPECT_EQ(m.at("total|prefill_tokens_no_cache"), 30 * (1024.0 + 1536) + 2048.0 * 29 * 30 / 2);
  EXPECT_EQ(m.at("total|prefill_tokens_cache"), 30 * 1536.0);
  EXPECT_GT(m.at("turn=30|prefill_s_no_cache"), 10 * m.at("turn=1|prefill_s_no_cache"));
  EXPECT_LT(m.at("total|prefill_s_cache"), m.at("total|prefill_s_no_cache"));
  // Eviction bounds what an idle session holds.
  EXPECT_NEAR(m.at("idle/history=20000|kv_held"), 20000.0 * 192 * 1024 / (1024.0 * 1024 * 1024), 1e-12);
  EXPECT_NEAR(m.at("idle/history=20000|kv_held_evicted"), 4096.0 * 192 * 1024 / (1024.0 * 1024 * 1024), 1e-12);
  EXPECT_GT(m.at("idle/history=20000|idle_sessions_fit_evicted"), m.at("idle/history=20000|idle_sessions_fit"));
  EXPECT_EQ(m.at("context|max_context_exceeded_at_turn"), 16.0);
}

TEST(AgenticTurns, ContextBeyondTheModelIsAnErrorByDefault) {
  EXPECT_THROW(run_table("s4-agentic-turns.toml", {"session.context_limit=model"}), scenarios::ScenarioError);
  EXPECT_NO_THROW(run_table("s4-agentic-turns.toml", {"session.context_limit=model", "session.turns=15"}));
}

TEST(SolveCost, FitsAndComparison) {
  const auto m = rows_of(run_table("s1-cost-per-solved.toml"));
  // Time per correct answer = time per answer / pass@1 (same trace).
  EXPECT_NEAR(m.at("datarus-r1-14b/aime2024/h100|gpu_s_per_correct") * 0.516 / m.at("datarus-r1-14b/aime2024/h100|gpu_s_per_answer"),
              1.0, 0.01);
  // QwQ-32B does not fit two 24 GB cards: said so, no number invented.
  EXPECT_TRUE(std::isnan(m.at("vs-qwq-32b/r=0.51/2x4090|time_ratio")));
  // Fewer tokens from a smaller model: well under the token ratio.
  EXPECT_LT(m.at("vs-qwq-32b/r=0.82/h100|time_ratio"), 0.82 * 0.5);
  // The calibrated GPU is slower than its ideal roofline.
  EXPECT_GT(m.at("datarus-r1-14b/aime2024/h100|gpu_s_per_answer"), m.at("datarus-r1-14b/aime2024/h100-roofline|gpu_s_per_answer"));
  // The same H100 driven by eager PyTorch instead of vLLM's graphs is bound by its host thread:
  // 48 layers x 45 ops x 30 us = 65 ms a token, against ~17 ms of GPU work.
  EXPECT_GT(m.at("datarus-r1-14b/aime2024/h100-hf-eager|gpu_s_per_answer"), 3 * m.at("datarus-r1-14b/aime2024/h100|gpu_s_per_answer"));
}

TEST(Reproduction, DatarusTablesAreCompleteAndReferencesAttach) {
  const KindRegistry kinds = builtin_kinds();
  const auto res = run_reproduction("datarus", kScenarios, kinds, 2);
  std::vector<std::string> names;
  int with_paper = 0;
  for (const auto& t : res.tables) {
    names.push_back(t.name);
    for (const auto& r : t.rows) with_paper += !std::isnan(r.paper);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"s1-cost-per-solved", "s2-grpo-rollout", "s2-grpo-rollout-roofline",
                                             "s3-reference-sharding", "s3-reference-sharding-nominal", "s4-agentic-turns"}));
  EXPECT_EQ(with_paper, 100);  // every entry of scenarios/datarus/reference.toml found its row
  // The reproduction lands within 6% of every reference value the brief holds, except where the
  // README's reproduction section explains why not.
  const std::map<std::string, double> explained = {
      // The brief divides a nominal 80 GB by the session's KV (about 13); the vLLM server keeps
      // weights and KV within 90% of the H100's usable 79.1 GiB: 11.
      {"s4-agentic-turns|idle/history=20000|idle_sessions_fit", 2.0},
  };
  for (const auto& t : res.tables)
    for (const auto& r : t.rows) {
      if (std::isnan(r.paper)) continue;
      auto it = explained.find(t.name + "|" + r.row + "|" + r.metric);
      const double tol = it != explained.end() ? it->second : 0.06 * std::fabs(r.paper) + 1e-9;
      EXPECT_NEAR(r.simulated, r.paper, tol) << t.name << " " << r.row << " " << r.metric;
    }
}

TEST(Reproduction, AReferenceToAMissingRowIsAnError) {
  const fs::path dir = fs::path(::testing::TempDir()) / "kvsim_repro" / "datarus";
  fs::remove_all(dir.parent_path());
  fs::create_directories(dir);
  fs::copy_file(kScenarios + "/datarus/s3-reference-sharding.toml", dir / "s3.toml");
  std::ofstream(dir / "reference.toml") << "[[value]]\ntable = \"s3\"\nrow = \"h100-nvlink4/N=9\"\nmetric = \"allgather_s\"\n"
                                            "value = \"1 s\"\nsource = \"x\"\n";
  const KindRegistry kinds = builtin_kinds();
  try {
    run_reproduction("datarus", dir.parent_path().string(), kinds);
    FAIL();
  } catch (const scenarios::ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("has no row 'h100-nvlink4/N=9'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("reference.toml:1:1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kvsim::runner
