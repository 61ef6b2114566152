// tests/app/determinism_test.cpp — the determinism promise, tested per kind family: the same
// scenario gives bit-identical result datasets (every metric, series and timeline row; the
// resolved scenario and its hash) whether its sweep runs on 1, 2 or 8 threads, and from one run to
// the next. Only wall_time_s and the file's provenance (time, host, command) may differ.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "results/reader.h"

namespace kvsim {
namespace {

namespace fs = std::filesystem;

int kvsim_run(const std::string& args, std::string* out) {
  const std::string cmd = std::string(KVSIM_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) out->append(buf.data(), n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Everything a run wrote except its wall time, compared bit for bit.
void expect_identical(const results::ResultFileData& a, const results::ResultFileData& b, const std::string& what) {
  ASSERT_EQ(a.runs.size(), b.runs.size()) << what;
  for (std::size_t i = 0; i < a.runs.size(); ++i) {
    const auto &x = a.runs[i], &y = b.runs[i];
    const std::string at = what + ", run " + std::to_string(i) + " (" + x.sweep_label + ")";
    EXPECT_EQ(x.group, y.group) << at;
    EXPECT_EQ(x.scenario_text, y.scenario_text) << at;
    EXPECT_EQ(x.scenario_hash, y.scenario_hash) << at;
    EXPECT_EQ(x.seed, y.seed) << at;
    EXPECT_EQ(x.sweep_index, y.sweep_index) << at;
    EXPECT_EQ(x.sweep_label, y.sweep_label) << at;
    ASSERT_EQ(x.metrics.size(), y.metrics.size()) << at;
    for (std::size_t m = 0; m < x.metrics.size(); ++m) {
      EXPECT_EQ(x.metrics[m].name, y.metrics[m].name) << at;
      EXPECT_TRUE(same_bits(x.metrics[m].value, y.metrics[m].value))
          << at << ": " << x.metrics[m].name << " " << x.metrics[m].value << " vs " << y.metrics[m].value;
    }
    ASSERT_EQ(x.series.size(), y.series.size()) << at;
    for (std::size_t s = 0; s < x.series.size(); ++s) {
      ASSERT_EQ(x.series[s].values.size(), y.series[s].values.size()) << at << ": " << x.series[s].name;
      for (std::size_t k = 0; k < x.series[s].values.size(); ++k)
        ASSERT_TRUE(same_bits(x.series[s].values[k], y.series[s].values[k])) << at << ": " << x.series[s].name << "[" << k << "]";
    }
    ASSERT_EQ(x.timeline.size(), y.timeline.size()) << at;
    for (std::size_t r = 0; r < x.timeline.size(); ++r) {
      const auto &p = x.timeline[r], &q = y.timeline[r];
      EXPECT_TRUE(p.resource == q.resource && p.spans == q.spans && p.bytes == q.bytes && same_bits(p.busy_s, q.busy_s) &&
                  same_bits(p.first_start_s, q.first_start_s) && same_bits(p.last_end_s, q.last_end_s))
          << at << ": timeline row " << p.resource;
    }
  }
}

struct Family {
  std::string name;
  std::string scenario;  // a shipped scenario, or inline TOML (starts with "kind")
  std::string sweep;     // a [sweep] added to a shipped single-point scenario (through `base`)
};

class Determinism : public ::testing::TestWithParam<Family> {};

TEST_P(Determinism, SameResultsAtOneTwoAndEightThreadsAndAcrossRuns) {
  const Family& f = GetParam();
  const fs::path dir = fs::path(::testing::TempDir()) / ("kvsim_determinism_" + f.name);
  fs::create_directories(dir);
  std::string scenario = std::string(KVSIM_SOURCE_DIR) + "/scenarios/" + f.scenario;
  if (f.scenario.rfind("kind", 0) == 0 || !f.sweep.empty()) {
    const std::string text = f.sweep.empty() ? f.scenario : "base = \"" + scenario + "\"\n[sweep]\n" + f.sweep + "\n";
    scenario = (dir / "scenario.toml").string();
    std::ofstream(scenario) << text;
  }
  auto run = [&](const std::string& jobs, const std::string& name) {
    const std::string out = (dir / name).string();
    std::string text;
    EXPECT_EQ(kvsim_run("sweep " + scenario + " -j " + jobs + " -o " + out, &text), 0) << text;
    return results::read_results(out);
  };
  const auto one = run("1", "j1.h5");
  ASSERT_GE(one.runs.size(), 2u) << "a family's sweep must have several points to spread over threads";
  expect_identical(one, run("2", "j2.h5"), f.name + " -j 1 vs -j 2");
  expect_identical(one, run("8", "j8.h5"), f.name + " -j 1 vs -j 8");
  expect_identical(one, run("1", "j1-again.h5"), f.name + " run vs rerun");
}

INSTANTIATE_TEST_SUITE_P(
    Families, Determinism,
    ::testing::Values(Family{"exchange", "examples/wan-bandwidth-sweep.toml", ""},
                      Family{"decode", "examples/decode-7b-a100.toml", ""},
                      Family{"datarus_serving", "datarus/s2-grpo-rollout.toml", "seed = [1, 2, 3]"},
                      Family{"datarus_agentic", "datarus/s4-agentic-turns.toml", "seed = [1, 2, 3]"},
                      Family{"triforce_speculative", "triforce/table2-triforce.toml", ""},
                      Family{"mpcache_private_decode", "mpcache/2pc.toml", ""},
                      Family{"kv_quality_small_model",
                             "kind = \"kv-quality\"\nseed = 5\n[policy]\nname = \"h2o\"\nbudget = 160\n"
                             "[workload]\ntask = \"passkey\"\ncontext = 256\nepisodes = 2\n"
                             "[sweep]\n\"policy.name\" = [\"streaming\", \"h2o\", \"quest\", \"snapkv\"]\n", ""}),
    [](const ::testing::TestParamInfo<Family>& info) { return info.param.name; });

}  // namespace
}  // namespace kvsim
