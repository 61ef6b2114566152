// results/reader.cpp — reads result files back.
#include "results/reader.h"

#include <filesystem>

#include "results/rows.h"

namespace kvsim::results {

namespace {

// The attributes that say which point a group is (/runs and /failures groups share them).
template <class Point>
void read_point_attrs(hid_t g, Point& p) {
  p.name = h5::read_string_attr(g, "name");
  p.kind = h5::read_string_attr(g, "kind");
  p.scenario_file = h5::read_string_attr(g, "scenario_file");
  p.scenario_text = h5::read_string_attr(g, "scenario");
  p.scenario_hash = h5::read_string_attr(g, "scenario_sha256");
  p.sweep_index = h5::read_u64_attr(g, "sweep_index");
  p.sweep_label = h5::read_string_attr(g, "sweep_point");
}

std::vector<Metric> read_metrics(hid_t group) {
  return rows::read_rows<rows::MetricRow>(group, "metrics", [](const rows::MetricRow& r) {
    return Metric{rows::text(r.name), r.value, rows::text(r.unit)};
  });
}

std::vector<ResourceRow> read_timeline(hid_t group) {
  return rows::read_rows<rows::TimelineRow>(group, "timeline", [](const rows::TimelineRow& r) {
    return ResourceRow{rows::text(r.resource), r.spans, r.busy_s, r.bytes, r.first_start_s, r.last_end_s};
  });
}

std::vector<ReproRow> read_table(hid_t group, const std::string& name) {
  return rows::read_rows<rows::ReproTableRow>(group, name, [](const rows::ReproTableRow& r) {
    return ReproRow{rows::text(r.row), rows::text(r.metric), rows::text(r.unit), r.simulated, r.paper};
  });
}

}  // namespace

ResultFileData read_results(const std::string& path) {
  h5::LibraryLock lock(h5::library_mutex());
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
  if (h5::has_attr(file, "campaign_sha256")) {
    data.campaign.sha256 = h5::read_string_attr(file, "campaign_sha256");
    data.campaign.points = h5::read_u64_attr(file, "campaign_points");
    data.campaign.shard = h5::read_string_attr(file, "campaign_shard");
  }
  if (H5Lexists(file, "failures", H5P_DEFAULT) > 0) {
    h5::Handle failures = h5::open_group(file, "failures");
    for (const std::string& name : h5::list_children(failures)) {
      h5::Handle g = h5::open_group(failures, name);
      FailureRecord f;
      f.group = name;
      read_point_attrs(g, f);
      f.error = h5::read_string_attr(g, "error");
      data.failures.push_back(std::move(f));
    }
  }
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
    read_point_attrs(g, r);
    r.seed = h5::read_u64_attr(g, "seed");
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
    // Files written before the sweep values were stored have none: their tidy table has no
    // parameter columns.
    if (H5Lexists(g, "sweep", H5P_DEFAULT) > 0) {
      r.sweep_values = rows::read_rows<rows::SweepValueRow>(g, "sweep", [](const rows::SweepValueRow& v) {
        return std::pair<std::string, std::string>{rows::text(v.key), rows::text(v.value)};
      });
    }
    data.runs.push_back(std::move(r));
  }
  return data;
}

}  // namespace kvsim::results
