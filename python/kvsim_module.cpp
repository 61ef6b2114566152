// python/kvsim_module.cpp — the compiled half of the `kvsim` Python module (`kvsim._kvsim`).
//
// Contract: run() resolves a scenario (with --set style overrides), runs the chosen points on
// local threads and returns their records as dicts; read() returns a result file as dicts;
// tidy() its tidy table as columns. Scenario errors raise ValueError with the loader's
// file:line:col message; other failures raise RuntimeError. The GIL is released while points run.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "app/kinds/kinds.h"
#include "app/runner/point_pool.h"
#include "results/reader.h"
#include "results/tidy.h"
#include "scenarios/data_location.h"
#include "scenarios/schema.h"

namespace py = pybind11;
using namespace kvsim;

namespace {

py::dict run_dict(const results::RunRecord& r) {
  py::dict d;
  d["group"] = r.group;
  d["name"] = r.name;
  d["kind"] = r.kind;
  d["scenario_file"] = r.scenario_file;
  d["scenario"] = r.scenario_text;
  d["scenario_sha256"] = r.scenario_hash;
  d["seed"] = r.seed;
  d["sweep_index"] = r.sweep_index;
  d["sweep_point"] = r.sweep_label;
  py::dict params;
  for (const auto& [k, v] : r.sweep_values) params[py::str(k)] = v;
  d["parameters"] = params;
  py::dict metrics, units;
  for (const auto& m : r.metrics) { metrics[py::str(m.name)] = m.value; units[py::str(m.name)] = m.unit; }
  d["metrics"] = metrics;
  d["units"] = units;
  py::dict series;
  for (const auto& s : r.series) series[py::str(s.name)] = s.values;
  d["series"] = series;
  d["wall_time_s"] = r.wall_time_s;
  return d;
}

// The chosen points of `path` (all when `points` is empty), run on `jobs` threads without the GIL.
std::vector<results::RunRecord> run_records(const std::string& path, const std::vector<std::string>& sets,
                                            const std::vector<std::size_t>& points, unsigned jobs) {
  const runner::KindRegistry kinds = runner::builtin_kinds();
  const auto all = scenarios::resolve(path, sets, kinds.lookup());
  std::vector<const scenarios::ScenarioPoint*> chosen;
  for (std::size_t k : points) {
    if (k >= all.size())
      throw py::index_error("point " + std::to_string(k) + ": '" + path + "' has " + std::to_string(all.size()) +
                            " points, numbered 0 to " + std::to_string(all.size() - 1));
    chosen.push_back(&all[k]);
  }
  if (points.empty())
    for (const auto& p : all) chosen.push_back(&p);
  std::vector<runner::PointOutcome> outcomes;
  {
    py::gil_scoped_release unlocked;
    outcomes = runner::run_points(chosen, kinds, runner::RunOptions{}, std::max(1u, jobs));
  }
  std::vector<results::RunRecord> runs;
  for (auto& o : outcomes) {
    if (o.error) std::rethrow_exception(o.error);
    runs.push_back(std::move(o.record));
  }
  return runs;
}

py::dict read_file(const std::string& path) {
  const results::ResultFileData data = results::read_results(path);
  py::dict d;
  d["kvsim_version"] = data.info.kvsim_version;
  d["git_commit"] = data.info.git_commit;
  d["created"] = data.info.created;
  d["host"] = data.info.host;
  d["command"] = data.info.command;
  d["campaign_sha256"] = data.campaign.sha256;
  d["campaign_points"] = data.campaign.points;
  py::list runs, failures, tables;
  for (const auto& r : data.runs) runs.append(run_dict(r));
  for (const auto& f : data.failures) {
    py::dict x;
    x["group"] = f.group;
    x["sweep_index"] = f.sweep_index;
    x["sweep_point"] = f.sweep_label;
    x["scenario"] = f.scenario_text;
    x["error"] = f.error;
    failures.append(x);
  }
  for (const auto& t : data.tables) {
    py::dict x;
    x["reproduction"] = t.reproduction;
    x["name"] = t.name;
    py::list rows;
    for (const auto& r : t.rows) rows.append(py::make_tuple(r.row, r.metric, r.unit, r.simulated, r.paper));
    x["rows"] = rows;
    tables.append(x);
  }
  d["runs"] = runs;
  d["failures"] = failures;
  d["tables"] = tables;
  return d;
}

py::list tidy_columns(const std::vector<results::RunRecord>& runs) {
  const results::TidyTable t = results::tidy_table(runs);
  py::list cols;
  for (const auto& c : t.columns) {
    py::dict x;
    x["name"] = c.name;
    x["unit"] = c.unit;
    x["source"] = c.source;
    if (c.type == results::TidyColumn::Type::integer) x["values"] = c.integers;
    else if (c.type == results::TidyColumn::Type::real) x["values"] = c.reals;
    else x["values"] = c.texts;
    cols.append(x);
  }
  return cols;
}

}  // namespace

PYBIND11_MODULE(_kvsim, m) {
  m.doc() = "kvsim: discrete-event simulation and cost modeling of LLM decoding (compiled core)";
  py::register_exception<scenarios::ScenarioError>(m, "ScenarioError", PyExc_ValueError);
  m.def("run", [](const std::string& path, const std::vector<std::string>& sets, const std::vector<std::size_t>& points,
                   unsigned jobs) {
    py::list out;
    for (const auto& r : run_records(path, sets, points, jobs)) out.append(run_dict(r));
    return out;
  }, py::arg("path"), py::arg("sets") = std::vector<std::string>{}, py::arg("points") = std::vector<std::size_t>{},
     py::arg("jobs") = 1u, "Run a scenario's points; returns one dict per run.");
  m.def("run_tidy", [](const std::string& path, const std::vector<std::string>& sets, const std::vector<std::size_t>& points,
                        unsigned jobs) { return tidy_columns(run_records(path, sets, points, jobs)); },
        py::arg("path"), py::arg("sets") = std::vector<std::string>{}, py::arg("points") = std::vector<std::size_t>{},
        py::arg("jobs") = 1u, "Run a scenario's points; returns their tidy table as columns.");
  m.def("read", &read_file, py::arg("path"), "Read a kvsim result file into dicts.");
  m.def("tidy", [](const std::string& path) { return tidy_columns(results::read_results(path).runs); }, py::arg("path"),
        "The tidy table of a result file as a list of columns.");
  m.def("data_dir", &scenarios::installed_data_dir,
        "<prefix>/share/kvsim when this module is installed, '' when it runs from a build tree.");
  m.attr("__version__") = KVSIM_VERSION_STRING;
}
