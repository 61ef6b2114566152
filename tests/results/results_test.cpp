// tests/results/results_test.cpp — write then read back; atomic replacement.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "results/reader.h"
#include "results/writer.h"

namespace kvsim::results {
namespace {

namespace fs = std::filesystem;

RunRecord sample(const std::string& group, double makespan) {
  RunRecord r;
  r.group = group;
  r.name = "demo";
  r.kind = "exchange";
  r.scenario_file = "scenarios/x.toml";
  r.scenario_text = "kind = \"exchange\"\nseed = 3\n";
  r.scenario_hash = std::string(64, 'a');
  r.seed = 3;
  r.sweep_index = 2;
  r.sweep_label = "links.lan.bandwidth=\"1 Gbit/s\"";
  r.wall_time_s = 0.125;
  r.metrics = {{"makespan", makespan, "s"}, {"bytes_total", 1.5e9, "B"}, {"ünïcode", -0.0, "1"}};
  r.series = {{"round_time", "s", {0.1, 0.2, 0.30000000000000004}}, {"empty", "1", {}}};
  r.timeline = {{"gpu0/compute", 20, 0.1, 0, 0.0, 0.5}, {"link/lan/p0->p1", 3, 0.25, 1234567890123ULL, 0.001, 0.9}};
  return r;
}

FileInfo info() { return FileInfo{"0.1.0", "abc123", "2026-01-01T00:00:00Z", "host", "kvsim run x"}; }

std::string temp_dir(const std::string& name) {
  const fs::path d = fs::path(::testing::TempDir()) / ("kvsim_res_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

TEST(Results, WriteThenReadBackEqualValues) {
  const std::string path = temp_dir("rt") + "/out.h5";
  {
    ResultWriter w(path, info());
    w.add_run(sample("run-0000", 0.612));
    w.add_run(sample("run-0001", 1.5));
    w.commit();
  }
  const ResultFileData d = read_results(path);
  EXPECT_EQ(d.info.git_commit, "abc123");
  EXPECT_EQ(d.info.command, "kvsim run x");
  ASSERT_EQ(d.runs.size(), 2u);
  const RunRecord want = sample("run-0001", 1.5);
  const RunRecord& got = d.runs[1];
  EXPECT_EQ(got.group, want.group);
  EXPECT_EQ(got.scenario_text, want.scenario_text);
  EXPECT_EQ(got.scenario_hash, want.scenario_hash);
  EXPECT_EQ(got.seed, want.seed);
  EXPECT_EQ(got.sweep_index, want.sweep_index);
  EXPECT_EQ(got.sweep_label, want.sweep_label);
  EXPECT_EQ(got.wall_time_s, want.wall_time_s);
  ASSERT_EQ(got.metrics.size(), want.metrics.size());
  for (std::size_t i = 0; i < want.metrics.size(); ++i) {
    EXPECT_EQ(got.metrics[i].name, want.metrics[i].name);
    EXPECT_EQ(got.metrics[i].value, want.metrics[i].value);  // exact
    EXPECT_EQ(got.metrics[i].unit, want.metrics[i].unit);
  }
  ASSERT_EQ(got.series.size(), 2u);
  // Series are listed by name.
  EXPECT_EQ(got.series[0].name, "empty");
  EXPECT_TRUE(got.series[0].values.empty());
  EXPECT_EQ(got.series[1].values, want.series[0].values);
  EXPECT_EQ(got.series[1].unit, "s");
  ASSERT_EQ(got.timeline.size(), 2u);
  EXPECT_EQ(got.timeline[1].resource, "link/lan/p0->p1");
  EXPECT_EQ(got.timeline[1].bytes, 1234567890123ULL);
  EXPECT_EQ(got.timeline[1].busy_s, 0.25);
}

TEST(Results, UncommittedWriterLeavesTheOldFileAndNoTemporary) {
  const std::string dir = temp_dir("abort");
  const std::string path = dir + "/out.h5";
  {
    ResultWriter w(path, info());
    w.add_run(sample("run-0000", 1.0));
    w.commit();
  }
  std::string temp;
  {
    ResultWriter w(path, info());
    temp = w.temp_path();
    w.add_run(sample("run-0000", 2.0));
    EXPECT_TRUE(fs::exists(temp));
    // destroyed without commit: as if an exception unwound the command
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(read_results(path).runs.at(0).metrics.at(0).value, 1.0);
}

TEST(Results, KilledBeforeRenameLeavesTheOldFileIntact) {
  const std::string dir = temp_dir("kill");
  const std::string path = dir + "/out.h5";
  {
    ResultWriter w(path, info());
    w.add_run(sample("run-0000", 1.0));
    w.commit();
  }
  const auto size_before = fs::file_size(path);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child writes a big run and dies abruptly before commit (no destructors run).
    ResultWriter w(path, info());
    RunRecord big = sample("run-0000", 2.0);
    big.series[0].values.assign(1'000'000, 3.0);
    w.add_run(big);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_EQ(fs::file_size(path), size_before);
  EXPECT_EQ(read_results(path).runs.at(0).metrics.at(0).value, 1.0);
}

TEST(Results, ClearErrorsForBadPaths) {
  EXPECT_THROW(ResultWriter("/nonexistent/dir/out.h5", info()), ResultError);
  try {
    read_results("/nonexistent/file.h5");
    FAIL();
  } catch (const ResultError& e) {
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos);
  }
  const std::string junk = temp_dir("junk") + "/junk.h5";
  std::ofstream(junk) << "not hdf5";
  EXPECT_THROW(read_results(junk), ResultError);
}

}  // namespace
}  // namespace kvsim::results

namespace kvsim::results {
namespace {

// An attribute of the wrong shape or class is an error, never read past the one value it is read
// into (found by fuzz_kv_trace: a 3-element attribute overflowed a uint64).
TEST(Results, AttributesOfTheWrongShapeOrClassAreRefused) {
  const std::string path = (std::filesystem::path(::testing::TempDir()) / "kvsim_attrs.h5").string();
  h5::quiet_errors();
  h5::Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, "create " + path);
  const hsize_t three[1] = {3};
  h5::Handle space(H5Screate_simple(1, three, nullptr), H5Sclose, "space");
  h5::Handle attr(H5Acreate2(file, "n", H5T_NATIVE_UINT64, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, "attr");
  const std::uint64_t values[3] = {1, 2, 3};
  h5::check(H5Awrite(attr, H5T_NATIVE_UINT64, values), "write");
  h5::write_string_attr(file, "s", "text");
  h5::write_u64_attr(file, "u", 7);
  EXPECT_THROW(h5::read_u64_attr(file, "n"), ResultError);
  EXPECT_THROW(h5::read_u64_attr(file, "s"), ResultError);
  EXPECT_THROW(h5::read_string_attr(file, "u"), ResultError);
  EXPECT_THROW(h5::read_double_attr(file, "s"), ResultError);
  EXPECT_EQ(h5::read_u64_attr(file, "u"), 7u);
  EXPECT_EQ(h5::read_double_attr(file, "u"), 7.0);
  EXPECT_EQ(h5::read_string_attr(file, "s"), "text");
}

}  // namespace
}  // namespace kvsim::results
