// app/runner/reproduction.cpp — scenario sets, reference data, tables.
#include "app/runner/reproduction.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "app/runner/point_pool.h"
#include "app/runner/run_point.h"

namespace kvsim::runner {

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> scenario_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".toml" && e.path().filename() != "reference.toml") files.push_back(e.path());
  // By stem, so that "s2-x" comes before "s2-x-variant".
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) { return a.stem() < b.stem(); });
  return files;
}

void attach_references(const fs::path& file, std::vector<results::ReproTable>& tables) {
  for (auto& t : tables)
    for (auto& r : t.rows) r.paper = std::nan("");
  std::error_code ec;
  if (!fs::exists(file, ec)) return;
  toml::table ref = scenarios::load_tree(file.string());
  scenarios::TableSchema value;
  value.string("table", "table name (the scenario file's stem)").required();
  value.string("row", "row name").required();
  value.string("metric", "metric name").required();
  value.string("source", "where the figure comes from").required();
  // `value` itself is a number or a quantity string in the row's unit: checked below.
  std::vector<scenarios::Diagnostic> problems;
  if (auto* arr = ref["value"].as_array()) {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      toml::table* e = arr->get(i)->as_table();
      if (!e) continue;
      const std::string where = scenarios::location_of(e->source(), file.string());
      const std::string key = "value[" + std::to_string(i) + "]";
      toml::node* v = e->get("value");
      toml::table rest = *e;
      rest.erase("value");
      const auto diags = scenarios::validate_and_fill(rest, value, where, key);
      for (const auto& d : diags) problems.push_back(d);
      if (!v) { problems.push_back({where, key + ".value", "required key is missing"}); continue; }
      if (!diags.empty()) continue;
      const std::string tname = rest["table"].value_or(std::string()), row = rest["row"].value_or(std::string()),
                        metric = rest["metric"].value_or(std::string());
      auto t = std::find_if(tables.begin(), tables.end(), [&](const auto& x) { return x.name == tname; });
      if (t == tables.end()) { problems.push_back({where, key + ".table", "no table '" + tname + "' in this reproduction"}); continue; }
      auto r = std::find_if(t->rows.begin(), t->rows.end(), [&](const auto& x) { return x.row == row && x.metric == metric; });
      if (r == t->rows.end()) {
        problems.push_back({where, key, "table '" + tname + "' has no row '" + row + "' with metric '" + metric + "'"});
        continue;
      }
      const std::string vwhere = scenarios::location_of(v->source(), file.string());
      if (auto* num = v->as_floating_point()) r->paper = num->get();
      else if (auto* in = v->as_integer()) r->paper = static_cast<double>(in->get());
      else if (auto* s = v->as_string()) {
        try {
          const scenarios::Quantity q = scenarios::parse_quantity(s->get());
          const scenarios::Quantity unit = scenarios::parse_quantity("1 " + r->unit);
          if (q.dim != unit.dim) throw scenarios::UnitError("'" + s->get() + "' does not convert to " + r->unit);
          r->paper = q.value / unit.value;
        } catch (const scenarios::UnitError& ex) {
          problems.push_back({vwhere, key + ".value", ex.what()});
        }
      } else {
        problems.push_back({vwhere, key + ".value", "expected a number or a quantity string"});
      }
    }
  }
  for (auto&& [k, _] : ref)
    if (k.str() != "value") problems.push_back({scenarios::location_of(k.source(), file.string()), std::string(k.str()), "unknown key; reference data is [[value]] entries"});
  if (!problems.empty()) throw scenarios::ScenarioError(std::move(problems));
}

}  // namespace

std::vector<ReproductionInfo> reproductions(const std::string& scenario_dir) {
  std::vector<ReproductionInfo> out;
  for (const char* name : {"triforce", "mpcache", "datarus"}) {
    const fs::path dir = fs::path(scenario_dir) / name;
    out.push_back({name, !scenario_files(dir).empty(), dir.string()});
  }
  return out;
}

std::vector<ReproductionResult> run_reproductions(const std::vector<std::string>& names, const std::string& scenario_dir,
                                                  const KindRegistry& kinds, unsigned jobs,
                                                  const std::function<void(std::size_t, std::size_t)>& progress) {
  struct Job {
    std::size_t reproduction;
    std::size_t index;  // within its reproduction
    std::string table;
    scenarios::ScenarioPoint point;
  };
  std::vector<Job> work;
  for (std::size_t n = 0; n < names.size(); ++n) {
    std::size_t index = 0;
    for (const auto& f : scenario_files(fs::path(scenario_dir) / names[n])) {
      for (auto& pt : scenarios::resolve(f.string(), {}, kinds.lookup())) {
        std::string table = pt.tree["table"].value_or(std::string());
        if (table.empty()) table = f.stem().string();
        work.push_back({n, index++, std::move(table), std::move(pt)});
      }
    }
  }
  std::vector<const scenarios::ScenarioPoint*> points;
  for (const Job& j : work) points.push_back(&j.point);
  PoolHooks hooks;
  if (progress) hooks.finished = [&](std::size_t, PointOutcome&, std::size_t done) { progress(done, points.size()); };
  std::vector<PointOutcome> outcomes = run_points(points, kinds, RunOptions{}, jobs, hooks);
  for (const auto& o : outcomes) if (o.error) std::rethrow_exception(o.error);

  std::vector<ReproductionResult> out(names.size());
  for (std::size_t i = 0; i < work.size(); ++i) {
    ReproductionResult& r = out[work[i].reproduction];
    PointOutcome& o = outcomes[i];
    o.record.group = work[i].table + "-" + std::to_string(work[i].index) + "-" + o.record.group.substr(4);
    auto t = std::find_if(r.tables.begin(), r.tables.end(), [&](const auto& x) { return x.name == work[i].table; });
    if (t == r.tables.end()) {
      r.tables.push_back({names[work[i].reproduction], work[i].table, {}});
      t = r.tables.end() - 1;
    }
    for (auto& row : o.rows) t->rows.push_back(std::move(row));
    r.runs.push_back(std::move(o.record));
  }
  for (std::size_t n = 0; n < names.size(); ++n) attach_references(fs::path(scenario_dir) / names[n] / "reference.toml", out[n].tables);
  return out;
}

ReproductionResult run_reproduction(const std::string& name, const std::string& scenario_dir, const KindRegistry& kinds,
                                    unsigned jobs) {
  return std::move(run_reproductions({name}, scenario_dir, kinds, jobs).front());
}

void print_table(std::ostream& out, const results::ReproTable& table) {
  out << "### " << table.reproduction << " / " << table.name << "\n\n| row | metric | unit | simulated | paper | error |\n"
      << "|---|---|---|---:|---:|---:|\n";
  for (const auto& r : table.rows) {
    char sim[32], paper[32] = "", err[32] = "";
    std::snprintf(sim, sizeof sim, "%.4g", r.simulated);
    if (!std::isnan(r.paper)) {
      std::snprintf(paper, sizeof paper, "%.4g", r.paper);
      if (r.paper != 0) std::snprintf(err, sizeof err, "%+.1f%%", (r.simulated / r.paper - 1) * 100);
    }
    out << "| " << r.row << " | " << r.metric << " | " << r.unit << " | " << sim << " | " << paper << " | " << err << " |\n";
  }
  out << '\n';
}

void print_accuracy_summary(std::ostream& out, const std::vector<results::ReproTable>& tables) {
  out << "## Accuracy: simulated vs reference, per table\n\n"
      << "| table | rows with a reference | median error | worst error (row) | within 10% | within 25% |\n"
      << "|---|---:|---:|---|---:|---:|\n";
  for (const auto& t : tables) {
    std::vector<std::pair<double, const results::ReproRow*>> errors;
    for (const auto& r : t.rows)
      if (!std::isnan(r.paper) && r.paper != 0) errors.emplace_back(std::fabs(r.simulated / r.paper - 1), &r);
    out << "| " << t.reproduction << " / " << t.name << " | " << errors.size() << " | ";
    if (errors.empty()) { out << " | | | |\n"; continue; }
    std::sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    const std::size_t n = errors.size();
    const double median = n % 2 ? errors[n / 2].first : (errors[n / 2 - 1].first + errors[n / 2].first) / 2;
    const auto within = [&](double bound) {
      return std::count_if(errors.begin(), errors.end(), [&](const auto& e) { return e.first <= bound; });
    };
    char buf[160];
    std::snprintf(buf, sizeof buf, "%.1f%% | %.1f%% (%s %s) | %ld | %ld |", median * 100, errors.back().first * 100,
                  errors.back().second->row.c_str(), errors.back().second->metric.c_str(), static_cast<long>(within(0.10)),
                  static_cast<long>(within(0.25)));
    out << buf << '\n';
  }
  out << '\n';
}

}  // namespace kvsim::runner
