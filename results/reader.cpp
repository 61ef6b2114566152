// results/reader.cpp — reads result files back.
#include "results/reader.h"

#include <filesystem>

namespace kvsim::results {

namespace {

struct MetricRowR {
  char* name;
  double value;
  char* unit;
};
struct TimelineRowR {
  char* resource;
  std::uint64_t spans;
  double busy_s;
  std::uint64_t bytes;
  double first_start_s;
  double last_end_s;
};

std::vector<Metric> read_metrics(hid_t g) {
  h5::Handle str = h5::vlen_string_type();
  h5::Handle type(H5Tcreate(H5T_COMPOUND, sizeof(MetricRowR)), H5Tclose, "create metric type");
  h5::check(H5Tinsert(type, "name", HOFFSET(MetricRowR, name), str), "metric type");
  h5::check(H5Tinsert(type, "value", HOFFSET(MetricRowR, value), H5T_NATIVE_DOUBLE), "metric type");
  h5::check(H5Tinsert(type, "unit", HOFFSET(MetricRowR, unit), str), "metric type");
  h5::Handle ds(H5Dopen2(g, "metrics", H5P_DEFAULT), H5Dclose, "open metrics");
  h5::Handle space(H5Dget_space(ds), H5Sclose, "metrics space");
  std::vector<MetricRowR> rows(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
  std::vector<Metric> out;
  if (rows.empty()) return out;
  h5::check(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()), "read metrics");
  for (const auto& r : rows) out.push_back({r.name ? r.name : "", r.value, r.unit ? r.unit : ""});
  H5Dvlen_reclaim(type, space, H5P_DEFAULT, rows.data());
  return out;
}

std::vector<ResourceRow> read_timeline(hid_t g) {
  h5::Handle str = h5::vlen_string_type();
  h5::Handle type(H5Tcreate(H5T_COMPOUND, sizeof(TimelineRowR)), H5Tclose, "create timeline type");
  h5::check(H5Tinsert(type, "resource", HOFFSET(TimelineRowR, resource), str), "timeline type");
  h5::check(H5Tinsert(type, "spans", HOFFSET(TimelineRowR, spans), H5T_NATIVE_UINT64), "timeline type");
  h5::check(H5Tinsert(type, "busy_s", HOFFSET(TimelineRowR, busy_s), H5T_NATIVE_DOUBLE), "timeline type");
  h5::check(H5Tinsert(type, "bytes", HOFFSET(TimelineRowR, bytes), H5T_NATIVE_UINT64), "timeline type");
  h5::check(H5Tinsert(type, "first_start_s", HOFFSET(TimelineRowR, first_start_s), H5T_NATIVE_DOUBLE), "timeline type");
  h5::check(H5Tinsert(type, "last_end_s", HOFFSET(TimelineRowR, last_end_s), H5T_NATIVE_DOUBLE), "timeline type");
  h5::Handle ds(H5Dopen2(g, "timeline", H5P_DEFAULT), H5Dclose, "open timeline");
  h5::Handle space(H5Dget_space(ds), H5Sclose, "timeline space");
  std::vector<TimelineRowR> rows(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
  std::vector<ResourceRow> out;
  if (rows.empty()) return out;
  h5::check(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()), "read timeline");
  for (const auto& r : rows)
    out.push_back({r.resource ? r.resource : "", r.spans, r.busy_s, r.bytes, r.first_start_s, r.last_end_s});
  H5Dvlen_reclaim(type, space, H5P_DEFAULT, rows.data());
  return out;
}

struct ReproRowR {
  char* row;
  char* metric;
  char* unit;
  double simulated;
  double paper;
};

std::vector<ReproRow> read_table(hid_t group, const std::string& name) {
  h5::Handle str = h5::vlen_string_type();
  h5::Handle type(H5Tcreate(H5T_COMPOUND, sizeof(ReproRowR)), H5Tclose, "create table type");
  h5::check(H5Tinsert(type, "row", HOFFSET(ReproRowR, row), str), "table type");
  h5::check(H5Tinsert(type, "metric", HOFFSET(ReproRowR, metric), str), "table type");
  h5::check(H5Tinsert(type, "unit", HOFFSET(ReproRowR, unit), str), "table type");
  h5::check(H5Tinsert(type, "simulated", HOFFSET(ReproRowR, simulated), H5T_NATIVE_DOUBLE), "table type");
  h5::check(H5Tinsert(type, "paper", HOFFSET(ReproRowR, paper), H5T_NATIVE_DOUBLE), "table type");
  h5::Handle ds(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose, "open table " + name);
  h5::Handle space(H5Dget_space(ds), H5Sclose, "table space");
  std::vector<ReproRowR> rows(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
  std::vector<ReproRow> out;
  if (rows.empty()) return out;
  h5::check(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()), "read table " + name);
  for (const auto& r : rows) out.push_back({r.row ? r.row : "", r.metric ? r.metric : "", r.unit ? r.unit : "", r.simulated, r.paper});
  H5Dvlen_reclaim(type, space, H5P_DEFAULT, rows.data());
  return out;
}

}  // namespace

ResultFileData read_results(const std::string& path) {
  h5::quiet_errors();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw ResultError("'" + path + "': no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw ResultError("'" + path + "' is not an HDF5 file");
  h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open '" + path + "'");
  if (!h5::has_attr(file, "kvsim_version")) throw ResultError("'" + path + "' is not a kvsim result file");
  ResultFileData data;
  data.info.kvsim_version = h5::read_string_attr(file, "kvsim_version");
  data.info.git_commit = h5::read_string_attr(file, "git_commit");
  data.info.created = h5::read_string_attr(file, "created");
  data.info.host = h5::read_string_attr(file, "host");
  data.info.command = h5::read_string_attr(file, "command");
  if (H5Lexists(file, "reproduce", H5P_DEFAULT) > 0) {
    h5::Handle rep = h5::open_group(file, "reproduce");
    for (const std::string& repro : h5::list_children(rep)) {
      h5::Handle g = h5::open_group(rep, repro);
      for (const std::string& table : h5::list_children(g)) data.tables.push_back({repro, table, read_table(g, table)});
    }
  }
  h5::Handle runs = h5::open_group(file, "runs");
  for (const std::string& name : h5::list_children(runs)) {
    h5::Handle g = h5::open_group(runs, name);
    RunRecord r;
    r.group = name;
    r.name = h5::read_string_attr(g, "name");
    r.kind = h5::read_string_attr(g, "kind");
    r.scenario_file = h5::read_string_attr(g, "scenario_file");
    r.scenario_text = h5::read_string_attr(g, "scenario");
    r.scenario_hash = h5::read_string_attr(g, "scenario_sha256");
    r.seed = h5::read_u64_attr(g, "seed");
    r.sweep_index = h5::read_u64_attr(g, "sweep_index");
    r.sweep_label = h5::read_string_attr(g, "sweep_point");
    r.wall_time_s = h5::read_double_attr(g, "wall_time_s");
    r.metrics = read_metrics(g);
    h5::Handle series = h5::open_group(g, "series");
    for (const std::string& s : h5::list_children(series)) {
      Series out{s, "", h5::read_doubles(series, s)};
      h5::Handle ds(H5Dopen2(series, s.c_str(), H5P_DEFAULT), H5Dclose, "open series " + s);
      out.unit = h5::read_string_attr(ds, "unit");
      r.series.push_back(std::move(out));
    }
    r.timeline = read_timeline(g);
    data.runs.push_back(std::move(r));
  }
  return data;
}

}  // namespace kvsim::results
