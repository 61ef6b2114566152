// tests/results/results_test.cpp — write then read back; atomic replacement.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <sstream>
#include <fstream>

#include "results/compare.h"
#include "results/merge.h"
#include "results/reader.h"
#include "results/tidy.h"
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

namespace kvsim::results {
namespace {

RunRecord swept(std::size_t index, const std::string& context, const std::string& link, double latency) {
  RunRecord r = sample("run-000" + std::to_string(index), latency);
  r.sweep_index = index;
  r.scenario_hash = std::string(64, static_cast<char>('a' + index));
  r.sweep_values = {{"workload.context", context}, {"links.lan.bandwidth", link}, {"ratio", index == 1 ? "0.5" : "1"}};
  return r;
}

TEST(Results, TidyTableHasTypedColumnsWithUnits) {
  std::vector<RunRecord> runs = {swept(0, "4096", "\"1 Gbit/s\"", 0.5), swept(1, "8192", "\"2 Gbit/s\"", 0.75)};
  runs[1].metrics.push_back({"only_here", 7, "B"});
  const TidyTable t = tidy_table(runs);
  ASSERT_EQ(t.rows, 2u);
  const TidyColumn* context = t.find("workload.context");
  ASSERT_NE(context, nullptr);
  EXPECT_EQ(context->type, TidyColumn::Type::integer);
  EXPECT_EQ(context->integers, (std::vector<std::int64_t>{4096, 8192}));
  const TidyColumn* link = t.find("links.lan.bandwidth");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->type, TidyColumn::Type::text);
  EXPECT_EQ(link->texts[1], "2 Gbit/s");  // without its TOML quotes
  EXPECT_EQ(t.find("ratio")->type, TidyColumn::Type::real);  // integers and floats mixed
  const TidyColumn* makespan = t.find("makespan");
  ASSERT_NE(makespan, nullptr);
  EXPECT_EQ(makespan->unit, "s");
  EXPECT_EQ(makespan->source, "metric");
  EXPECT_TRUE(std::isnan(t.find("only_here")->reals[0]));
  EXPECT_EQ(t.columns[0].name, "run");

  // Written into every file as /table, fields in column order, with units.
  const std::string dir = temp_dir("tidy");
  {
    ResultWriter w(dir + "/t.h5", info());
    for (const auto& r : runs) w.add_run(r);
    w.commit();
  }
  h5::Handle f(H5Fopen((dir + "/t.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open");
  h5::Handle ds(H5Dopen2(f, "table", H5P_DEFAULT), H5Dclose, "open table");
  h5::Handle type(H5Dget_type(ds), H5Tclose, "type");
  ASSERT_EQ(H5Tget_nmembers(type), static_cast<int>(t.columns.size()));
  const auto units = h5::read_string_array_attr(ds, "units");
  ASSERT_EQ(units.size(), t.columns.size());
  for (std::size_t c = 0; c < units.size(); ++c) EXPECT_EQ(units[c], t.columns[c].unit) << t.columns[c].name;
  EXPECT_EQ(read_results(dir + "/t.h5").runs[1].sweep_values, runs[1].sweep_values);

  std::ostringstream csv;
  write_csv(csv, t, true);
  EXPECT_EQ(csv.str().rfind("run,sweep_index [1],workload.context [1],links.lan.bandwidth,ratio [1],makespan [s],", 0), 0u)
      << csv.str();
  EXPECT_NE(csv.str().find("\r\nrun-0001,1,8192,2 Gbit/s,0.5,0.75,"), std::string::npos) << csv.str();
}

TEST(Results, ATidyTableTooWideForOneCompoundTypeIsOmittedNotFatal) {
  RunRecord r = swept(0, "1", "1", 1);
  for (int i = 0; i < 3000; ++i) r.metrics.push_back({"a_long_metric_name_of_some_kernel_number_" + std::to_string(i), 1.0 * i, "s"});
  ASSERT_FALSE(tidy_fits_one_dataset(tidy_table({r})));
  const std::string dir = temp_dir("wide");
  {
    ResultWriter w(dir + "/w.h5", info());
    w.add_run(r);
    w.commit();
  }
  h5::Handle f(H5Fopen((dir + "/w.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open");
  EXPECT_LE(H5Lexists(f, "table", H5P_DEFAULT), 0);
  EXPECT_NE(h5::read_string_attr(f, "table_omitted").find("columns do not fit one HDF5 compound type"), std::string::npos);
  EXPECT_EQ(read_results(dir + "/w.h5").runs.at(0).metrics.size(), r.metrics.size());
  // Just under the bound, the dataset is written (the bound is not too strict for HDF5).
  RunRecord narrow = swept(0, "1", "1", 1);
  for (int i = 0; narrow.metrics.size() < 500; ++i) narrow.metrics.push_back({"a_long_metric_name_of_some_kernel_number_" + std::to_string(i), 1.0, "s"});
  ASSERT_TRUE(tidy_fits_one_dataset(tidy_table({narrow})));
  {
    ResultWriter w(dir + "/n.h5", info());
    w.add_run(narrow);
    w.commit();
  }
  h5::Handle g(H5Fopen((dir + "/n.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open");
  EXPECT_GT(H5Lexists(g, "table", H5P_DEFAULT), 0);
}

TEST(Results, MergeRefusesWhatIsNotOneCampaign) {
  auto part = [](std::vector<RunRecord> runs, const std::string& shard) {
    ResultFileData d;
    d.info = info();
    d.campaign = CampaignInfo{std::string(64, 'c'), 3, shard};
    d.runs = std::move(runs);
    return d;
  };
  const std::vector<MergePart> ok = {{"a.h5", part({swept(0, "1", "1", 1), swept(2, "3", "3", 3)}, "0/2")},
                                     {"b.h5", part({swept(1, "2", "2", 2)}, "1/2")}};
  const ResultFileData m = merge_campaign(ok, false);
  ASSERT_EQ(m.runs.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(m.runs[i].sweep_index, i);
  EXPECT_EQ(m.campaign.shard, "");
  auto refused = [](const std::vector<MergePart>& parts) {
    try {
      merge_campaign(parts, false);
    } catch (const ResultError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(refused({ok[0]}).find("1 of 3 points are in none of the files: 1"), std::string::npos);
  MergePart other = ok[1];
  other.data.campaign.sha256 = std::string(64, 'd');
  EXPECT_NE(refused({ok[0], other}).find("'b.h5' belongs to another campaign than 'a.h5'"), std::string::npos);
  MergePart build = ok[1];
  build.data.info.git_commit = "fff000";
  EXPECT_NE(refused({ok[0], build}).find("results of different builds are not merged"), std::string::npos);
  MergePart clash = ok[1];
  clash.data.runs[0].sweep_index = 2;
  clash.data.runs[0].metrics[0].value = 99;
  EXPECT_NE(refused({ok[0], clash}).find("point 2 differs between 'a.h5' and 'b.h5'"), std::string::npos);
  MergePart loose = ok[1];
  loose.data.campaign = CampaignInfo{};
  EXPECT_NE(refused({ok[0], loose}).find("is not part of a campaign"), std::string::npos);
}

TEST(Results, CompareIgnoresProvenanceAndHonoursTolerances) {
  ResultFileData a;
  a.info = info();
  a.runs = {swept(0, "1", "1", 1.0)};
  ResultFileData b = a;
  b.info = FileInfo{"9.9", "other", "2030-01-01T00:00:00Z", "elsewhere", "kvsim sweep y"};
  b.runs[0].wall_time_s = 99;
  b.runs[0].scenario_file = "moved.toml";
  EXPECT_TRUE(compare_results(a, b, {}).empty());
  b.runs[0].metrics[0].value = 1.0 + 1e-12;
  ASSERT_EQ(compare_results(a, b, {}).size(), 1u);
  EXPECT_EQ(compare_results(a, b, {}).front().where, "run-0000 metric makespan");
  EXPECT_TRUE(compare_results(a, b, {1e-9, 0}).empty());
  b.runs[0].series[0].values.pop_back();
  EXPECT_EQ(compare_results(a, b, {1e-9, 0}).front().where, "run-0000 series round_time length");
  b.runs.clear();
  EXPECT_EQ(compare_results(a, b, {}).front().where, "run-0000 (only in A)");
  // A table may hold a row twice: a file compared with itself agrees, and a changed second copy
  // is found.
  ResultFileData t;
  t.tables = {{"triforce", "table2", {{"T=0.0", "baseline_ms", "ms", 56.0, 56.7}, {"T=0.0", "baseline_ms", "ms", 57.0, 56.7}}}};
  EXPECT_TRUE(compare_results(t, t, {}).empty());
  ResultFileData u = t;
  u.tables[0].rows[1].simulated = 58.0;
  ASSERT_EQ(compare_results(t, u, {}).size(), 1u);
  EXPECT_EQ(compare_results(t, u, {}).front().where, "table triforce/table2 T=0.0 / baseline_ms simulated");
  u.tables[0].rows.pop_back();
  EXPECT_EQ(compare_results(t, u, {}).front().where, "table triforce/table2 T=0.0 / baseline_ms (only in A)");
}

}  // namespace
}  // namespace kvsim::results
