// tests/kv/policy_test.cpp — hand-made cases per policy, the catalog and factory, and the contract
// every policy shares: declared work equals measured work on real (synthetic) runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "models/kv/attention.h"
#include "models/kv/policy.h"
#include "models/kv/policies.h"
#include "models/kv/synthetic_run.h"

using namespace kvsim::models::kv;

namespace {

PolicyShape shape(int layers, int heads, int kv_heads, int d, int prompt) { return {layers, heads, kv_heads, d, prompt}; }

bool contains_all(const std::vector<std::int32_t>& sel, int begin, int end) {
  for (int p = begin; p < end; ++p)
    if (!std::binary_search(sel.begin(), sel.end(), p)) return false;
  return true;
}

}  // namespace

TEST(KvPolicy, CatalogListsEveryPolicyAndFactoryRejectsTypos) {
  std::vector<std::string> names;
  for (const auto& p : policy_catalog()) names.push_back(p.name);
  for (const char* n : {"full", "streaming", "h2o", "snapkv", "tova", "pyramidkv", "quest", "infllm", "triforce", "mpcache"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  try {
    make_policy("snapvk", {});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'snapkv'"), std::string::npos) << e.what();
  }
  try {
    make_policy("h2o", {{"recent_fractoin", 0.3}});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("recent_fraction"), std::string::npos) << e.what();
  }
}

TEST(KvPolicy, StreamingKeepsExactlySinksAndRecent) {
  auto p = make_policy("streaming", {{"budget", 20}, {"sinks", 4}});
  SyntheticRun run(shape(2, 2, 1, 8, 50), 1, 64);
  run.prefill(*p);
  const auto sel = run.step(*p);  // length 51
  std::vector<std::int32_t> want = iota_positions(0, 4);
  for (int i = 51 - 16; i < 51; ++i) want.push_back(i);
  EXPECT_EQ(sel[0], want);
  EXPECT_EQ(sel[1], want);
  EXPECT_EQ(p->resident(0, 0), 20);
}

TEST(KvPolicy, TopKBreaksTiesByLowerPosition) {
  const std::vector<float> s = {1, 3, 3, 0, 3};
  EXPECT_EQ(top_k(s, 2), (std::vector<std::int32_t>{1, 2}));
}

// Keys at the planted positions align with every query, so they draw most attention; H2O must keep
// exactly them as heavy hitters besides the recent window.
TEST(KvPolicy, H2oKeepsTheHeaviestHitters) {
  const int d = 16, prompt = 64;
  SyntheticRun run(shape(1, 2, 1, d, prompt), 3, 80);
  Eigen::VectorXf dir = Eigen::VectorXf::Zero(d);
  dir[0] = 1;
  for (auto& q : run.prompt_queries(0)) q.col(0).array() += 6.0f;
  const std::vector<int> heavy = {5, 17, 30};
  for (int p : heavy) run.keys(0)[0].row(p) = 4.0f * dir.transpose();
  auto p = make_policy("h2o", {{"budget", 16}, {"recent_fraction", 0.5}});
  run.prefill(*p);
  for (auto& q : run.step_queries(0)) q[0] += 6.0f;
  const auto sel = run.step(*p);
  for (int h : heavy) EXPECT_TRUE(std::binary_search(sel[0].begin(), sel[0].end(), h)) << h;
  EXPECT_TRUE(contains_all(sel[0], prompt + 1 - 8, prompt + 1));
  EXPECT_EQ(static_cast<int>(sel[0].size()), 16);
}

TEST(KvPolicy, QuestBoundIsNeverBelowTheTrueMaximum) {
  std::mt19937 gen(7);
  std::normal_distribution<float> n;
  for (int trial = 0; trial < 200; ++trial) {
    MatrixRM page(16, 8);
    for (Eigen::Index i = 0; i < page.size(); ++i) page.data()[i] = n(gen);
    Eigen::VectorXf q(8);
    for (int i = 0; i < 8; ++i) q[i] = n(gen);
    const Eigen::RowVectorXf hi = page.colwise().maxCoeff(), lo = page.colwise().minCoeff();
    EXPECT_GE(channel_bound(q, hi, lo) + 1e-5f, (page * q).maxCoeff());
  }
}

TEST(KvPolicy, QuestPicksThePageHoldingTheMatchingKey) {
  const int d = 16, prompt = 256;
  SyntheticRun run(shape(3, 2, 1, d, prompt), 5, 300);
  run.keys(2)[0].row(100).setZero();
  run.keys(2)[0](100, 3) = 10;  // page 6 = [96, 112)
  auto p = make_policy("quest", {{"budget", 64}, {"page_size", 16}, {"dense_layers", 2}});
  run.prefill(*p);
  for (auto& q : run.step_queries(2)) q = Eigen::VectorXf::Zero(d), q[3] = 5;
  const auto sel = run.step(*p);
  EXPECT_TRUE(contains_all(sel[0], 96, 112));
  EXPECT_EQ(static_cast<int>(sel[0].size()), 3 * 16 + 1);  // 3 chosen pages + the last page (1 token)
}

TEST(KvPolicy, MpCacheSelectsSinkLastAndTheMatchingCluster) {
  const int d = 16, prompt = 512;
  SyntheticRun run(shape(1, 1, 1, d, prompt), 9, 600);
  for (int t = 320; t < 336; ++t) run.keys(0)[0](t, 2) = 8;  // level-2 cluster 20, child of level-1 cluster 10
  auto p = make_policy("mpcache", {{"budget", 64}, {"static_eviction", 0}});
  run.prefill(*p);
  run.step_queries(0)[0] = Eigen::VectorXf::Zero(d);
  run.step_queries(0)[0][2] = 5;
  const auto sel = run.step(*p);
  EXPECT_TRUE(contains_all(sel[0], 0, 16));      // sink cluster
  EXPECT_TRUE(contains_all(sel[0], 320, 336));   // the planted cluster
  EXPECT_TRUE(contains_all(sel[0], 513 - 16, 513));  // the last cluster (newest tokens)
  EXPECT_LE(static_cast<int>(sel[0].size()), 64);
}

TEST(KvPolicy, MpCacheSharesSelectionsIn18Of32Layers) {
  const auto sh = shape(32, 32, 32, 128, 4096);
  auto on = make_policy("mpcache", {{"budget", 512}});
  auto off = make_policy("mpcache", {{"budget", 512}, {"share_layers", 0}});
  const auto w_on = on->declared_decode_work(sh, 4200), w_off = off->declared_decode_work(sh, 4200);
  // Hierarchical selection: two top-k calls per query head per selecting layer.
  EXPECT_EQ(w_on.topk_calls, 18 * 32 * 2);
  EXPECT_EQ(w_off.topk_calls, 32 * 32 * 2);
  EXPECT_EQ(w_on.gathered_rows, w_off.gathered_rows);  // sharing layers still gather their own rows
}

TEST(KvPolicy, PyramidCapacitiesMatchTheWorkedExample) {
  // kv-policies brief 2.5: C=128, w=8, beta=20, 32 layers: layer 0 keeps 234, layer 31 keeps 17.
  EXPECT_EQ(pyramid_capacity(0, 32, 10000, 128, 8, 20), 234);
  EXPECT_EQ(pyramid_capacity(31, 32, 10000, 128, 8, 20), 17);
}

TEST(KvPolicy, TriForceKeepsTheSinkChunkAndMakesRoomForGeneratedTokens) {
  const int d = 16, prompt = 256;
  SyntheticRun run(shape(1, 2, 1, d, prompt), 11, 300);
  auto p = make_policy("triforce", {{"budget", 64}, {"chunk", 8}});
  run.prefill(*p);
  // The last prompt token's step runs on the full cache and builds the retrieval cache.
  EXPECT_EQ(static_cast<int>(run.step(*p)[0].size()), prompt + 1);
  const auto sel = run.step(*p);
  EXPECT_TRUE(contains_all(sel[0], 0, 8));
  EXPECT_EQ(static_cast<int>(sel[0].size()), 64);  // 62 retrieved (the lowest-ranked overwritten) + 2 after the prefill
  EXPECT_TRUE(contains_all(sel[0], prompt, prompt + 2));
}

// Hand-made attention: each policy must pick what its definition's query rows, window, kernel or
// representatives point at; planted decoys catch the wrong row, window, kernel or summary.

TEST(KvPolicy, TriForceScoresChunksWithTheLastPromptTokensQuery) {
  const int d = 16, prompt = 256;
  SyntheticRun run(shape(1, 1, 1, d, prompt), 21, 300);
  for (int t = 80; t < 88; ++t) run.keys(0)[0](t, 3) = 10;    // chunk 10: what the last prompt token asks for
  for (int t = 160; t < 168; ++t) run.keys(0)[0](t, 5) = 10;  // chunk 20: what the last prefilled row asks for
  run.prompt_queries(0)[0].row(prompt - 1).setZero();
  run.prompt_queries(0)[0](prompt - 1, 5) = 5;
  auto p = make_policy("triforce", {{"budget", 24}, {"chunk", 8}});
  run.prefill(*p);
  run.step_queries(0)[0] = Eigen::VectorXf::Zero(d);
  run.step_queries(0)[0][3] = 5;
  run.step(*p);
  const auto sel = run.step(*p);  // sink chunk + chunk 10 + 6 of the runner-up + 2 after the prefill
  EXPECT_TRUE(contains_all(sel[0], 0, 8));
  EXPECT_TRUE(contains_all(sel[0], 80, 88));
  EXPECT_FALSE(contains_all(sel[0], 160, 168));
}

TEST(KvPolicy, SnapKvVotesWithItsObservationWindowAndPoolsNeighbours) {
  const int d = 16, prompt = 200, window = 32;
  SyntheticRun run(shape(1, 1, 1, d, prompt), 23, 240);
  auto& q = run.prompt_queries(0)[0];
  run.keys(0)[0](50, 2) = 10;   // what the window's queries attend to
  run.keys(0)[0](120, 4) = 10;  // what the rows just before the window attend to
  for (int r = prompt - window; r < prompt; ++r) q(r, 2) = 5;
  for (int r = prompt - window - 16; r < prompt - window; ++r) q(r, 4) = 5;
  auto p = make_policy("snapkv", {{"budget", window + 8}, {"window", window}, {"kernel", 7}});
  run.prefill(*p);
  const auto sel = run.step(*p);
  EXPECT_TRUE(contains_all(sel[0], 47, 54));  // the voted token and its pooled neighbours (kernel 7)
  EXPECT_FALSE(std::binary_search(sel[0].begin(), sel[0].end(), 120));
  EXPECT_TRUE(contains_all(sel[0], prompt - window, prompt + 1));
  EXPECT_EQ(static_cast<int>(sel[0].size()), window + 8 + 1);
}

TEST(KvPolicy, TovaKeepsWhatTheLastPromptRowAttends) {
  const int d = 16, prompt = 128;
  SyntheticRun run(shape(1, 1, 1, d, prompt), 25, 160);
  run.keys(0)[0](30, 2) = 10;
  run.keys(0)[0](60, 4) = 10;
  auto& q = run.prompt_queries(0)[0];
  q.row(prompt - 1).setZero(), q(prompt - 1, 2) = 5;  // the last prompt row: position 30
  q.row(prompt - 2).setZero(), q(prompt - 2, 4) = 5;  // the row before it: position 60
  auto p = make_policy("tova", {{"budget", 8}});
  run.prefill(*p);
  const auto sel = run.step(*p);
  EXPECT_TRUE(std::binary_search(sel[0].begin(), sel[0].end(), 30));
  EXPECT_FALSE(std::binary_search(sel[0].begin(), sel[0].end(), 60));
}

TEST(KvPolicy, InfLlmRepresentsABlockByItsMostAttendedTokens) {
  const int d = 16, prompt = 256;
  SyntheticRun run(shape(1, 1, 1, d, prompt), 27, 300);
  // Block 6 = [100, 116) holds one strongly matching, much-attended key; block 11 = [180, 196) holds
  // sixteen weakly matching keys whose plain mean would outscore block 6's.
  run.keys(0)[0](104, 3) = 10;
  for (int t = 180; t < 196; ++t) run.keys(0)[0](t, 3) = 1.2f;
  run.prompt_queries(0)[0].col(3).array() += 3.0f;
  auto p = make_policy("infllm", {{"budget", 64}, {"n_init", 4}, {"block_size", 16}, {"repr_topk", 4}, {"local_fraction", 0.5}});
  run.prefill(*p);
  run.step_queries(0)[0] = Eigen::VectorXf::Zero(d);
  run.step_queries(0)[0][3] = 5;
  const auto sel = run.step(*p);
  EXPECT_TRUE(contains_all(sel[0], 100, 116));
  EXPECT_FALSE(contains_all(sel[0], 180, 196));
}

// Every policy's declared work equals the work it did, at prefill and at each decode step, on a
// GQA shape with prompts both under and over the budget.
TEST(KvPolicy, DeclaredWorkEqualsMeasuredWork) {
  for (const auto& info : policy_catalog()) {
    for (int prompt : {40, 300}) {
      const auto sh = shape(4, 4, 2, 16, prompt);
      PolicyParams params;
      if (info.name != "full") params["budget"] = 96;
      auto p = make_policy(info.name, params);
      SyntheticRun run(sh, 42 + prompt, prompt + 80);
      run.prefill(*p);
      EXPECT_EQ(p->prefill_work(), p->declared_prefill_work(sh))
          << info.name << " prompt " << prompt << "\nmeasured " << to_string(p->prefill_work()) << "\ndeclared "
          << to_string(p->declared_prefill_work(sh));
      PolicyWork declared;
      for (int s = 0; s < 70; ++s) {
        run.step(*p);
        declared += p->declared_decode_work(sh, run.length());
      }
      EXPECT_EQ(p->decode_work(), declared) << info.name << " prompt " << prompt << "\nmeasured "
                                            << to_string(p->decode_work()) << "\ndeclared " << to_string(declared);
    }
  }
}

TEST(KvPolicy, EvictionIsPermanent) {
  for (const char* name : {"streaming", "h2o", "tova", "snapkv"}) {
    auto p = make_policy(name, {{"budget", 48}});
    SyntheticRun run(shape(2, 2, 2, 8, 120), 13, 200);
    run.prefill(*p);
    std::vector<char> dropped(200, 0);
    for (int s = 0; s < 60; ++s) {
      const auto sel = run.step(*p);
      for (int pos : sel[0]) EXPECT_FALSE(dropped[pos]) << name << " brought back " << pos;
      std::vector<char> seen(run.length(), 0);
      for (int pos : sel[0]) seen[pos] = 1;
      for (int pos = 0; pos < run.length(); ++pos)
        if (!seen[pos]) dropped[pos] = 1;
    }
  }
}
