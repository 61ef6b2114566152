// results/writer.cpp — atomic HDF5 result files.
#include "results/writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "results/rows.h"
#include "results/tidy.h"

namespace kvsim::results {

namespace fs = std::filesystem;

namespace {

std::atomic<unsigned> temp_counter{0};

void fsync_path(const std::string& p, bool directory) {
  const int fd = ::open(p.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) throw ResultError("cannot open '" + p + "' to sync it: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw ResultError("cannot sync '" + p + "': " + std::strerror(errno));
}

// The attributes that say which point a group is, shared by /runs and /failures groups.
template <class Point>
void write_point_attrs(hid_t g, const Point& p) {
  h5::write_string_attr(g, "name", p.name);
  h5::write_string_attr(g, "kind", p.kind);
  h5::write_string_attr(g, "scenario_file", p.scenario_file);
  h5::write_string_attr(g, "scenario", p.scenario_text);
  h5::write_string_attr(g, "scenario_sha256", p.scenario_hash);
  h5::write_u64_attr(g, "sweep_index", p.sweep_index);
  h5::write_string_attr(g, "sweep_point", p.sweep_label);
}

void write_metrics(hid_t group, const std::vector<Metric>& metrics) {
  std::vector<rows::MetricRow> out;
  for (const Metric& m : metrics) out.push_back({m.name.c_str(), m.value, m.unit.c_str()});
  rows::write_rows(group, "metrics", out);
}

void write_timeline(hid_t group, const std::vector<ResourceRow>& timeline) {
  std::vector<rows::TimelineRow> out;
  for (const ResourceRow& r : timeline)
    out.push_back({r.resource.c_str(), r.spans, r.busy_s, r.bytes, r.first_start_s, r.last_end_s});
  rows::write_rows(group, "timeline", out);
}

}  // namespace

std::string utc_now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

ResultWriter::ResultWriter(std::string path, const FileInfo& info) : path_(std::move(path)) {
  h5::LibraryLock lock(h5::library_mutex());
  h5::quiet_errors();
  fs::path dest(path_);
  fs::path dir = dest.has_parent_path() ? dest.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw ResultError("cannot write '" + path_ + "': folder '" + dir.string() + "' does not exist");
  }
  if (fs::is_directory(dest, ec)) throw ResultError("cannot write '" + path_ + "': it is a folder");
  // Why the same folder: rename() is atomic only within one file system.
  temp_ = (dir / ("." + dest.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                  std::to_string(temp_counter++))).string();
  file_ = h5::Handle(H5Fcreate(temp_.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                     "create '" + temp_ + "' (for '" + path_ + "')");
  h5::write_string_attr(file_, "kvsim_version", info.kvsim_version);
  h5::write_string_attr(file_, "git_commit", info.git_commit);
  h5::write_string_attr(file_, "created", info.created);
  h5::write_string_attr(file_, "host", info.host);
  h5::write_string_attr(file_, "command", info.command);
  runs_ = h5::create_group(file_, "runs");
}

ResultWriter::~ResultWriter() {
  if (committed_) return;
  h5::LibraryLock lock(h5::library_mutex());
  runs_.reset();
  reproduce_.reset();
  failures_.reset();
  file_.reset();
  std::error_code ec;
  fs::remove(temp_, ec);
}

void ResultWriter::add_run(const RunRecord& run) {
  h5::LibraryLock lock(h5::library_mutex());
  if (committed_) throw ResultError("'" + path_ + "' is already committed");
  h5::Handle g = h5::create_group(runs_, run.group);
  write_point_attrs(g, run);
  h5::write_u64_attr(g, "seed", run.seed);
  h5::write_double_attr(g, "wall_time_s", run.wall_time_s);
  write_metrics(g, run.metrics);
  h5::Handle series = h5::create_group(g, "series");
  for (const Series& s : run.series) {
    h5::write_doubles(series, s.name, s.values);
    h5::Handle ds(H5Dopen2(series, s.name.c_str(), H5P_DEFAULT), H5Dclose, "open series " + s.name);
    h5::write_string_attr(ds, "unit", s.unit);
  }
  write_timeline(g, run.timeline);
  std::vector<rows::SweepValueRow> sweep;
  for (const auto& [k, v] : run.sweep_values) sweep.push_back({k.c_str(), v.c_str()});
  rows::write_rows(g, "sweep", sweep);
  RunRecord row;
  row.group = run.group;
  row.sweep_index = run.sweep_index;
  row.sweep_values = run.sweep_values;
  row.metrics = run.metrics;
  tidy_rows_.push_back(std::move(row));
}

void ResultWriter::add_failure(const FailureRecord& f) {
  h5::LibraryLock lock(h5::library_mutex());
  if (committed_) throw ResultError("'" + path_ + "' is already committed");
  if (failures_.get() < 0) failures_ = h5::create_group(file_, "failures");
  h5::Handle g = h5::create_group(failures_, f.group);
  write_point_attrs(g, f);
  h5::write_string_attr(g, "error", f.error);
}

void ResultWriter::set_campaign(const CampaignInfo& c) {
  h5::LibraryLock lock(h5::library_mutex());
  if (committed_) throw ResultError("'" + path_ + "' is already committed");
  h5::write_string_attr(file_, "campaign_sha256", c.sha256);
  h5::write_u64_attr(file_, "campaign_points", c.points);
  h5::write_string_attr(file_, "campaign_shard", c.shard);
}

void ResultWriter::add_table(const ReproTable& table) {
  h5::LibraryLock lock(h5::library_mutex());
  if (committed_) throw ResultError("'" + path_ + "' is already committed");
  if (reproduce_.get() < 0) reproduce_ = h5::create_group(file_, "reproduce");
  h5::Handle group = H5Lexists(reproduce_, table.reproduction.c_str(), H5P_DEFAULT) > 0
                         ? h5::open_group(reproduce_, table.reproduction)
                         : h5::create_group(reproduce_, table.reproduction);
  std::vector<rows::ReproTableRow> out;
  for (const ReproRow& r : table.rows) out.push_back({r.row.c_str(), r.metric.c_str(), r.unit.c_str(), r.simulated, r.paper});
  rows::write_rows(group, table.name, out);
}

void ResultWriter::commit() {
  if (committed_) return;
  h5::LibraryLock lock(h5::library_mutex());
  write_tidy(file_, tidy_table(tidy_rows_));
  h5::check(H5Fflush(file_, H5F_SCOPE_GLOBAL), "flush '" + temp_ + "'");
  runs_.reset();
  reproduce_.reset();
  failures_.reset();
  file_.reset();
  fsync_path(temp_, false);
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    throw ResultError("cannot rename '" + temp_ + "' to '" + path_ + "': " + std::strerror(errno));
  }
  committed_ = true;
  const fs::path dir = fs::path(path_).has_parent_path() ? fs::path(path_).parent_path() : fs::path(".");
  fsync_path(dir.string(), true);
}

}  // namespace kvsim::results
