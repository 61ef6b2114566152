// tests/app/triforce_test.cpp — the speculative kind in cost mode: the orderings the paper claims,
// determinism, and the reproduction's tables with their reference values attached.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iterator>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/reproduction.h"
#include "app/runner/run_point.h"
#include "models/speculative/acceptance.h"

namespace kvsim::runner {
namespace {

const std::string kDir = std::string(KVSIM_SOURCE_DIR) + "/scenarios";

std::map<std::string, double> run_rows(const std::string& file, const std::vector<std::string>& sets = {}) {
  const KindRegistry kinds = builtin_kinds();
  std::map<std::string, double> m;
  for (const auto& pt : scenarios::resolve(kDir + "/triforce/" + file, sets, kinds.lookup())) {
    std::vector<results::ReproRow> rows;
    run_point(pt, kinds, RunOptions{}, &rows);
    for (const auto& r : rows) m[r.row + "|" + r.metric] = r.simulated;
  }
  return m;
}

TEST(Speculative, HierarchyBeatsItsAblationsAndTheNaivePolicy) {
  const auto tri = run_rows("table2-triforce.toml");
  const auto naive = run_rows("table2-naive.toml");
  const auto abl = run_rows("table2-ablations.toml");
  const double t06 = tri.at("T=0.6|triforce_speedup");
  EXPECT_GT(t06, 1.0);
  EXPECT_GT(t06, naive.at("T=0.6|naive_speedup"));
  EXPECT_GT(t06, abl.at("retrieval-wo-hierarchy|speedup"));
  // Lower acceptance, lower speedup (T = 0.0 vs T = 1.2).
  EXPECT_GT(tri.at("T=0.0|triforce_speedup"), tri.at("T=1.2|triforce_speedup"));
  // The baseline is the calibrated full-cache forward (56 ms at ~122K, TriForce Fig. 1).
  EXPECT_NEAR(tri.at("T=0.0|baseline_ms"), 56.7, 1.0);
}

TEST(Speculative, SameSeedSameResultAndASeedChangesTheRounds) {
  const auto a = run_rows("table3-2x4090.toml"), b = run_rows("table3-2x4090.toml");
  EXPECT_EQ(a, b);
  const auto c = run_rows("table3-2x4090.toml", {"seed=99"});
  EXPECT_NE(a.at("2x4090/llama2-7b-128k|triforce_acceptance"), c.at("2x4090/llama2-7b-128k|triforce_acceptance"));
}

TEST(Speculative, OffloadedBaselineIsTheCalibratedOne) {
  const auto m = run_rows("table3-2x4090.toml");
  EXPECT_NEAR(m.at("2x4090/llama2-7b-128k|baseline_ms"), 840, 0.05 * 840);
  EXPECT_GT(m.at("2x4090/llama2-7b-128k|speedup"), 3.0);
}

TEST(Speculative, ReproductionAttachesEveryReference) {
  const KindRegistry kinds = builtin_kinds();
  const auto res = run_reproduction("triforce", kDir, kinds, 2);
  int refs = 0;
  for (const auto& t : res.tables)
    for (const auto& r : t.rows) refs += !std::isnan(r.paper);
  EXPECT_EQ(refs, 23);  // Table 2: 7 x 2; Table 3: 3; Fig. 1: 3 x 2
  // The targets, every one within 10% (a profile edit that moves one fails here): Fig. 1's
  // three levels (ms and GB), Table 2's TriForce and naive columns at every temperature, Table 3's
  // 2x RTX 4090 row (ms, speedup, baseline). Only Fig. 1 and Table 2's T = 0.0 row were fitted
  // (docs/calibration.md): those stay within 5%, the rest are predictions.
  int fitted = 0;
  for (const auto& t : res.tables)
    for (const auto& r : t.rows) {
      if (std::isnan(r.paper)) continue;
      EXPECT_NEAR(r.simulated / r.paper, 1.0, 0.10) << t.name << " " << r.row << " " << r.metric;
      if ((t.name == "fig1" && r.metric == "ms") || (t.name == "table2" && r.row == "T=0.0")) {
        EXPECT_NEAR(r.simulated / r.paper, 1.0, 0.05) << "fitted: " << t.name << " " << r.row << " " << r.metric;
        ++fitted;
      }
    }
  EXPECT_EQ(fitted, 5);
  // Every row the issue names exists.
  std::map<std::string, std::set<std::string>> rows;
  for (const auto& t : res.tables)
    for (const auto& r : t.rows) rows[t.name].insert(r.row + "|" + r.metric);
  for (const char* r : {"out=256", "out=512", "out=768", "out=1024", "out=1536", "out=2048"}) EXPECT_TRUE(rows["table7"].count(std::string(r) + "|speedup")) << r;
  for (int g = 1; g <= 8; ++g) {
    EXPECT_TRUE(rows["table8"].count("gamma1=" + std::to_string(g) + "|speedup"));
    EXPECT_TRUE(rows["table8"].count("gamma2=" + std::to_string(g) + "|speedup"));
  }
  for (const char* c : {"32K", "48K", "64K", "80K", "96K", "112K", "128K"}) {
    EXPECT_TRUE(rows["fig5"].count(std::string("ctx=") + c + "|triforce_speedup")) << c;
    EXPECT_TRUE(rows["fig5"].count(std::string("ctx=") + c + "|naive_speedup")) << c;
  }
  EXPECT_TRUE(rows["fig5"].count("upper-bound|triforce"));
  EXPECT_TRUE(rows["fig5"].count("upper-bound|naive"));
  EXPECT_TRUE(rows["table6"].count("lwm-text-512k|speedup"));
  for (const char* b : {"b=2/ctx=56K", "b=6/ctx=19K", "b=10/ctx=12K"})
    for (const char* temp : {"/T=0.0", "/T=0.6"})
      for (const char* m : {"|triforce_speedup", "|naive_speedup"})
        EXPECT_TRUE(rows["table4"].count(std::string(b) + temp + m)) << b << temp << m;
  for (const char* b : {"budget=1K", "budget=2K", "budget=3K", "budget=4K", "budget=5K", "budget=6K", "chunk=1", "chunk=4",
                        "chunk=16", "chunk=64", "chunk=256", "chunk=1024", "chunk=4096"})
    for (const char* m : {"|speedup", "|acceptance", "|alpha_full"}) EXPECT_TRUE(rows["fig6"].count(std::string(b) + m)) << b << m;
  for (const char* level : {"draft-68m", "target-retrieval-4k", "target-full"})
    for (const char* m : {"|ms", "|gb"}) EXPECT_TRUE(rows["fig1"].count(std::string(level) + m)) << level << m;
  EXPECT_TRUE(rows["table2"].count("streamingllm-w-hierarchy|speedup"));
}

// Fig. 1's per-level costs come from the same profiles as every table: within 25% of the paper.
TEST(Speculative, LevelCostsAreFig1s) {
  const auto m = run_rows("fig1.toml");
  EXPECT_NEAR(m.at("target-full|ms"), 56, 0.1 * 56);
  EXPECT_NEAR(m.at("target-retrieval-4k|ms"), 14, 0.1 * 14);
  EXPECT_NEAR(m.at("draft-68m|ms"), 0.45, 0.25 * 0.45);
  EXPECT_LT(m.at("target-retrieval-4k|gb"), m.at("target-full|gb") / 4);
}

// A batch of sequences shares each forward: per-sequence latency is higher than alone, but the
// batch is faster per token than one sequence at a time.
TEST(Speculative, BatchingSharesForwards) {
  const auto one = run_rows("table2-triforce.toml", {"workload.context=19456", "method.retrieval_budget=768"});
  const auto six = run_rows("table2-triforce.toml",
                            {"workload.context=19456", "method.retrieval_budget=768", "workload.batch=6"});
  const double t1 = one.at("T=0.6|triforce_ms"), t6 = six.at("T=0.6|triforce_ms");
  EXPECT_GT(t6, t1);
  EXPECT_LT(t6, 6 * t1);
}

// Source (c): a recorded accept/reject trace replaces the acceptance parameter.
TEST(Speculative, RecordedTraceDrivesAcceptance) {
  using models::spec::AcceptanceTrace;
  const std::string all = ::testing::TempDir() + "/accept_all.txt";
  { std::ofstream(all) << AcceptanceTrace::seal("# every drafted token accepted\n1 1 1 1\n"); }
  const auto m = run_rows("table2-triforce.toml", {"acceptance.source=\"trace\"", "acceptance.full_trace=\"" + all + "\""});
  EXPECT_DOUBLE_EQ(m.at("T=0.6|triforce_acceptance"), 1.0);
  const std::string third = ::testing::TempDir() + "/accept_third.txt";
  { std::ofstream(third) << AcceptanceTrace::seal("1 1 0\n"); }  // rounds of gamma >= 2 accept exactly 2
  const auto t = run_rows("table2-triforce.toml", {"acceptance.source=\"trace\"", "acceptance.full_trace=\"" + third + "\""});
  EXPECT_LT(t.at("T=0.6|triforce_acceptance"), 0.5);
  const std::string bad = ::testing::TempDir() + "/accept_bad.txt";
  { std::ofstream(bad) << AcceptanceTrace::seal("1 1\n1 x\n"); }
  try {
    run_rows("table2-triforce.toml", {"acceptance.source=\"trace\"", "acceptance.full_trace=\"" + bad + "\""});
    FAIL();
  } catch (const scenarios::ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find(bad + ":3: expected 0"), std::string::npos) << e.what();
  }
}

// An unsealed (version-1) trace is refused with the command that seals it; a sealed trace whose
// outcomes changed afterwards is refused as corrupted. The seal tool's output loads.
TEST(Speculative, AcceptanceTraceIntegrity) {
  using models::spec::AcceptanceTrace;
  const std::string plain = ::testing::TempDir() + "/accept_plain.txt";
  { std::ofstream(plain) << "1 1 0 1\n"; }
  try {
    AcceptanceTrace::load(plain);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("tools/trace/seal_acceptance_trace.py " + plain), std::string::npos) << e.what();
  }
  const std::string cmd = "/usr/bin/python3 " + std::string(KVSIM_SOURCE_DIR) + "/tools/trace/seal_acceptance_trace.py " + plain +
                          " > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  EXPECT_DOUBLE_EQ(AcceptanceTrace::load(plain).alpha(), 0.75);
  std::string text;
  {
    std::ifstream in(plain);
    text.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  EXPECT_EQ(text, AcceptanceTrace::seal("1 1 0 1\n")) << "the Python and C++ seals differ";
  text[text.size() - 2] = '0';  // the last outcome flipped after sealing
  { std::ofstream(plain) << text; }
  try {
    AcceptanceTrace::load(plain);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(plain + ":1: SHA-256 of the outcomes"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kvsim::runner
