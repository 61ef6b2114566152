// tests/app/campaign_test.cpp — sweeps as campaigns, end to end through the kvsim executable:
// killed and resumed sweeps, SIGTERM, failing points, shards and merge, one point, a narrowed
// sweep, the tidy table exported, diff.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "results/compare.h"
#include "results/reader.h"
#include "tests/support/kvsim_process.h"

namespace {

namespace fs = std::filesystem;
using kvsim::results::read_results;

using kvsim::testing::kvsim;
using kvsim::testing::Outcome;

// A folder of its own per test: campaigns leave `.points` folders beside their outputs.
std::string dir_for(const std::string& test) {
  const fs::path d = fs::path(::testing::TempDir()) / "kvsim_campaign" / test;
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

std::string write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

std::string example(const std::string& name) { return std::string(KVSIM_SOURCE_DIR) + "/scenarios/examples/" + name; }

// Eight points of a few hundred milliseconds each: slow enough to be killed half way.
std::string slow_sweep(const std::string& dir, int rounds = 400000) {
  return write(dir + "/slow.toml", "base = \"" + example("lan-wan-exchange.toml") + "\"\n[workload]\nrounds = " +
                                       std::to_string(rounds) + "\n[sweep]\n\"seed\" = [1, 2, 3, 4, 5, 6, 7, 8]\n");
}

std::size_t finished_points(const std::string& parts) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(parts, ec))
    if (e.path().extension() == ".h5" && e.path().filename().string().front() != '.') ++n;
  return n;
}

// Starts `kvsim args...` in its own process; returns the pid.
pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    static const std::string binary = KVSIM_BINARY;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::freopen(log.c_str(), "w", stderr);
    std::freopen("/dev/null", "w", stdout);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

// Waits until `parts` holds at least `n` finished points (or the process ended); false on timeout.
bool wait_for_points(const std::string& parts, std::size_t n, pid_t pid) {
  for (int i = 0; i < 600; ++i) {
    if (finished_points(parts) >= n) return true;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void expect_same_results(const std::string& a, const std::string& b) {
  const auto da = read_results(a), db = read_results(b);
  const auto diffs = kvsim::results::compare_results(da, db, {});
  EXPECT_TRUE(diffs.empty()) << a << " vs " << b << ": " << diffs.size() << " differences, first "
                             << (diffs.empty() ? "" : diffs.front().where);
  ASSERT_EQ(da.runs.size(), db.runs.size());
  for (std::size_t i = 0; i < da.runs.size(); ++i) {
    EXPECT_EQ(da.runs[i].group, db.runs[i].group);
    EXPECT_EQ(da.runs[i].scenario_text, db.runs[i].scenario_text);
    EXPECT_EQ(da.runs[i].sweep_label, db.runs[i].sweep_label);
    EXPECT_EQ(da.runs[i].sweep_values, db.runs[i].sweep_values);
  }
  EXPECT_EQ(da.campaign.sha256, db.campaign.sha256);
}

TEST(Campaign, KilledSweepResumesToTheUninterruptedResult) {
  const std::string dir = dir_for("killed");
  const std::string scenario = slow_sweep(dir);
  const std::string ref = dir + "/ref.h5", out = dir + "/out.h5";
  ASSERT_EQ(kvsim("sweep " + scenario + " -o " + ref + " -j 2").code, 0);

  const pid_t pid = spawn({"sweep", scenario, "-o", out}, dir + "/killed.log");
  ASSERT_TRUE(wait_for_points(out + ".points", 3, pid)) << "the sweep ended before 3 points were kept";
  ::kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_FALSE(fs::exists(out)) << "a killed sweep left its output";
  const std::size_t kept = finished_points(out + ".points");
  ASSERT_GE(kept, 3u);
  ASSERT_LT(kept, 8u) << "the sweep finished before it was killed: make the points slower";

  const Outcome again = kvsim("sweep " + scenario + " -o " + out);  // without --resume: refused, way forward named
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.out.find("--resume"), std::string::npos) << again.out;

  const Outcome resumed = kvsim("sweep " + scenario + " -o " + out + " --resume -j 2");
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("running " + std::to_string(8 - kept) + " on"), std::string::npos) << resumed.out;
  EXPECT_NE(resumed.out.find(std::to_string(kept) + " resumed"), std::string::npos) << resumed.out;
  EXPECT_FALSE(fs::exists(out + ".points")) << "the parts folder outlived the finished campaign";
  expect_same_results(out, ref);

  // Resuming a finished campaign runs nothing and writes the same file again.
  const Outcome done = kvsim("sweep " + scenario + " -o " + out + " --resume");
  ASSERT_EQ(done.code, 0) << done.out;
  EXPECT_NE(done.out.find("running 0 on"), std::string::npos) << done.out;
  expect_same_results(out, ref);
}

TEST(Campaign, SigtermStopsCleanlyAndKeepsFinishedPoints) {
  const std::string dir = dir_for("sigterm");
  const std::string scenario = slow_sweep(dir);
  const std::string out = dir + "/out.h5", log = dir + "/term.log";
  const pid_t pid = spawn({"sweep", scenario, "-o", out}, log);
  ASSERT_TRUE(wait_for_points(out + ".points", 2, pid));
  ::kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  std::stringstream text;
  text << std::ifstream(log).rdbuf();
  EXPECT_NE(text.str().find("interrupted"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("--resume"), std::string::npos) << text.str();
  EXPECT_FALSE(fs::exists(out));
  EXPECT_GE(finished_points(out + ".points"), 2u);
  const Outcome resumed = kvsim("sweep " + scenario + " -o " + out + " --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  EXPECT_EQ(read_results(out).runs.size(), 8u);
}

TEST(Campaign, AFailingPointIsRecordedAndTheOthersRun) {
  const std::string dir = dir_for("failing");
  // 1000 TiB in one message outlasts the simulated clock: that point fails while running.
  const std::string scenario = write(dir + "/fail.toml", "base = \"" + example("lan-wan-exchange.toml") +
                                                             "\"\n[workload]\nrounds = 3\n[sweep]\n"
                                                             "\"workload.message_size\" = [\"1 KiB\", \"1000 TiB\", \"2 KiB\"]\n");
  const std::string out = dir + "/out.h5";
  const Outcome r = kvsim("sweep " + scenario + " -o " + out);
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_NE(r.out.find("point 1 (workload.message_size=\"1000 TiB\") failed: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 failed"), std::string::npos) << r.out;
  const auto d = read_results(out);
  ASSERT_EQ(d.runs.size(), 2u);
  EXPECT_EQ(d.runs[0].group, "run-0000");
  EXPECT_EQ(d.runs[1].group, "run-0002");
  ASSERT_EQ(d.failures.size(), 1u);
  EXPECT_EQ(d.failures[0].group, "run-0001");
  EXPECT_EQ(d.failures[0].sweep_label, "workload.message_size=\"1000 TiB\"");
  EXPECT_NE(d.failures[0].error.find("simulated clock"), std::string::npos) << d.failures[0].error;
  EXPECT_FALSE(d.failures[0].scenario_text.empty());
  // --resume runs only the failed point again (and it fails again, the same way).
  const Outcome again = kvsim("sweep " + scenario + " -o " + out + " --resume");
  EXPECT_EQ(again.code, 3);
  EXPECT_NE(again.out.find("running 1 on"), std::string::npos) << again.out;
}

TEST(Campaign, ShardsMergeToTheUnshardedFileAtAnyShardOrThreadCount) {
  const std::string dir = dir_for("shards");
  const std::string scenario = slow_sweep(dir, 2000);
  const std::string ref = dir + "/ref.h5";
  ASSERT_EQ(kvsim("sweep " + scenario + " -o " + ref).code, 0);
  for (int n : {2, 3}) {
    std::string parts;
    for (int i = 0; i < n; ++i) {
      const std::string part = dir + "/s" + std::to_string(i) + "of" + std::to_string(n) + ".h5";
      const Outcome s = kvsim("sweep " + scenario + " -o " + part + " --shard " + std::to_string(i) + "/" +
                              std::to_string(n) + " -j " + std::to_string(n - i));
      ASSERT_EQ(s.code, 0) << s.out;
      const auto d = read_results(part);
      for (const auto& run : d.runs) EXPECT_EQ(run.sweep_index % n, static_cast<unsigned>(i));
      EXPECT_EQ(d.campaign.shard, std::to_string(i) + "/" + std::to_string(n));
      parts += " " + part;
    }
    const std::string merged = dir + "/merged" + std::to_string(n) + ".h5";
    const Outcome m = kvsim("merge " + merged + parts);
    ASSERT_EQ(m.code, 0) << m.out;
    expect_same_results(merged, ref);
    EXPECT_EQ(read_results(merged).campaign.shard, "");
  }
  // A missing shard, and a file of another campaign, are refused by name.
  const Outcome missing = kvsim("merge " + dir + "/m.h5 " + dir + "/s0of2.h5");
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.out.find("4 of 8 points are in none of the files: 1, 3, 5, 7"), std::string::npos) << missing.out;
  EXPECT_EQ(kvsim("merge " + dir + "/m.h5 " + dir + "/s0of2.h5 --allow-missing").code, 0);
  const std::string other = dir + "/other.h5";
  ASSERT_EQ(kvsim("sweep " + scenario + " -o " + other + " --shard 1/2 --set workload.rounds=2001").code, 0);
  const Outcome mixed = kvsim("merge " + dir + "/m.h5 " + dir + "/s0of2.h5 " + other);
  EXPECT_EQ(mixed.code, 2);
  EXPECT_NE(mixed.out.find("belongs to another campaign"), std::string::npos) << mixed.out;
  EXPECT_EQ(kvsim("sweep " + scenario + " -o " + other + " --shard 2/2").code, 2);
}

#ifdef KVSIM_MPIEXEC
TEST(Campaign, MpiRanksGiveTheSameFileAsOneProcess) {
  const std::string dir = dir_for("mpi");
  const std::string scenario = slow_sweep(dir, 3000);
  const std::string ref = dir + "/ref.h5";
  ASSERT_EQ(kvsim("sweep " + scenario + " -o " + ref).code, 0);
  // Root in CI containers: OpenMPI refuses root unless told; --oversubscribe: more ranks than cores.
  const std::string mpirun = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " + std::string(KVSIM_MPIEXEC) +
                             " --oversubscribe -n ";
  for (int ranks : {2, 3}) {
    const std::string out = dir + "/mpi" + std::to_string(ranks) + ".h5";
    const Outcome r = kvsim::testing::run_shell(mpirun + std::to_string(ranks) + " " + KVSIM_BINARY + " sweep " + scenario +
                                                " -o " + out + " --mpi");
    const std::string& text = r.out;
    ASSERT_EQ(r.code, 0) << text;
    EXPECT_NE(text.find("on " + std::to_string(ranks - 1) + " MPI rank"), std::string::npos) << text;
    expect_same_results(out, ref);
  }
  EXPECT_EQ(kvsim("sweep " + scenario + " -o " + dir + "/x.h5 --mpi -j 2").code, 2);
}
#endif

TEST(Campaign, OnePointOrANarrowedSweep) {
  const std::string dir = dir_for("point");
  const std::string sweep = example("wan-bandwidth-sweep.toml");
  const std::string all = dir + "/all.h5", one = dir + "/one.h5";
  ASSERT_EQ(kvsim("sweep " + sweep + " -o " + all).code, 0);
  const Outcome r = kvsim("run " + sweep + " --point 5 -o " + one);
  ASSERT_EQ(r.code, 0) << r.out;
  const auto a = read_results(all), o = read_results(one);
  ASSERT_EQ(o.runs.size(), 1u);
  EXPECT_EQ(o.runs[0].group, "run-0005");
  EXPECT_EQ(o.runs[0].scenario_hash, a.runs[5].scenario_hash);
  EXPECT_EQ(o.runs[0].metrics.front().value, a.runs[5].metrics.front().value);

  // `kvsim explain --point K` explains that point of a decode sweep.
  const Outcome explained = kvsim("explain " + example("decode-7b-a100.toml") + " --point 2");
  ASSERT_EQ(explained.code, 0) << explained.out;
  EXPECT_NE(explained.out.find("explaining sweep point 2 of 6: workload.context=32768"), std::string::npos) << explained.out;
  EXPECT_EQ(kvsim("explain " + example("decode-7b-a100.toml") + " --point 6").code, 2);

  // `kvsim run` on a sweep runs every point and says so.
  const Outcome every = kvsim("run " + sweep);
  ASSERT_EQ(every.code, 0) << every.out;
  EXPECT_NE(every.out.find("has a [sweep] of 8 points"), std::string::npos) << every.out;
  EXPECT_NE(every.out.find("run-0007"), std::string::npos);
  EXPECT_EQ(kvsim("run " + sweep + " --trace " + dir + "/t.json").code, 2);  // one point only
  // `kvsim run -o` on a sweep is a campaign too: --resume there keeps what a run finished.
  const std::string viarun = dir + "/viarun.h5";
  ASSERT_EQ(kvsim("run " + sweep + " -o " + viarun).code, 0);
  const Outcome again = kvsim("run " + sweep + " -o " + viarun + " --resume");
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("running 0 on 1 thread, 8 resumed"), std::string::npos) << again.out;
  const Outcome lone = kvsim("run " + sweep + " --resume");
  EXPECT_EQ(lone.code, 2);
  EXPECT_NE(lone.out.find("--resume keeps the finished points of a sweep written with -o"), std::string::npos) << lone.out;

  // --set on a swept key narrows the sweep instead of being overwritten by it.
  const Outcome narrowed = kvsim("sweep " + sweep + " --print-resolved --set workload.message_size='\"4 MiB\"'");
  ASSERT_EQ(narrowed.code, 0) << narrowed.out;
  EXPECT_NE(narrowed.out.find("# --- sweep point 3"), std::string::npos);
  EXPECT_EQ(narrowed.out.find("# --- sweep point 4"), std::string::npos) << "the message size axis was not narrowed";
  EXPECT_EQ(narrowed.out.find("256 KiB"), std::string::npos);
  const Outcome zip = kvsim("sweep " + sweep + " --print-resolved --set links.wan.latency='\"40 ms\"'");
  ASSERT_EQ(zip.code, 0) << zip.out;
  EXPECT_NE(zip.out.find("# --- sweep point 3"), std::string::npos);  // 2 sizes x the 2 zip entries at 40 ms
  EXPECT_EQ(zip.out.find("# --- sweep point 4"), std::string::npos);
  const Outcome bad = kvsim("sweep " + sweep + " --print-resolved --set links.wan.latency='\"7 ms\"'");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("[\"2 ms\", \"40 ms\", \"20 ms\", \"40 ms\"]"), std::string::npos) << bad.out;
}

TEST(Campaign, ExportWritesTheTidyTableAndDiffComparesFiles) {
  const std::string dir = dir_for("export");
  const std::string sweep = example("wan-bandwidth-sweep.toml");
  const std::string a = dir + "/a.h5", b = dir + "/b.h5", c = dir + "/c.h5", csv = dir + "/a.csv";
  ASSERT_EQ(kvsim("sweep " + sweep + " -o " + a).code, 0);
  ASSERT_EQ(kvsim("sweep " + sweep + " -o " + b + " -j 2").code, 0);
  ASSERT_EQ(kvsim("export " + a + " --csv " + csv).code, 0);
  std::ifstream in(csv);
  std::string header, row0;
  std::getline(in, header);
  std::getline(in, row0);
  EXPECT_EQ(header.rfind("run,sweep_index,workload.message_size,links.wan.bandwidth,links.wan.latency,makespan,", 0), 0u) << header;
  EXPECT_EQ(row0.rfind("run-0000,0,256 KiB,400 Mbit/s,2 ms,", 0), 0u) << row0;
  const Outcome units = kvsim("export " + a + " --csv - --units-in-header");
  EXPECT_NE(units.out.find("makespan [s]"), std::string::npos);

  const Outcome same = kvsim("diff " + a + " " + b);
  EXPECT_EQ(same.code, 0) << same.out;
  EXPECT_NE(same.out.find("same"), std::string::npos);
  ASSERT_EQ(kvsim("sweep " + sweep + " -o " + c + " --set seed=99").code, 0);
  const Outcome differ = kvsim("diff " + a + " " + c);
  EXPECT_EQ(differ.code, 1) << differ.out;
  EXPECT_NE(differ.out.find("run-0000 metric link.lan.bytes"), std::string::npos) << differ.out;
  EXPECT_NE(differ.out.find("run-0000 scenario_sha256"), std::string::npos) << differ.out;
  const Outcome loose = kvsim("diff " + a + " " + c + " --rtol 0.5 --ignore-scenario");
  EXPECT_EQ(loose.code, 0) << loose.out;  // the seed jitters message sizes by a few percent

  EXPECT_EQ(kvsim("diff " + a + " " + dir + "/none.h5").code, 2);
}

}  // namespace
