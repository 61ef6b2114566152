// app/cli/report.cpp — `kvsim report` and the tables printed after run/sweep.
#include "app/cli/report.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "app/cli/cli.h"
#include "app/runner/reproduction.h"
#include "results/reader.h"

namespace kvsim::cli {

namespace {
std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
}  // namespace

void print_run(std::ostream& out, const results::RunRecord& run) {
  out << "## " << run.name << " (" << run.kind << ")";
  if (!run.sweep_label.empty()) out << " — " << run.sweep_label;
  out << "\n\n| metric | value | unit |\n|---|---:|---|\n";
  for (const auto& m : run.metrics) out << "| " << m.name << " | " << num(m.value) << " | " << m.unit << " |\n";
  if (!run.timeline.empty()) {
    out << "\n| resource | spans | busy (s) | bytes |\n|---|---:|---:|---:|\n";
    for (const auto& r : run.timeline)
      out << "| " << r.resource << " | " << r.spans << " | " << num(r.busy_s) << " | " << r.bytes << " |\n";
  }
  out << '\n';
}

void print_sweep(std::ostream& out, const std::vector<results::RunRecord>& runs) {
  if (runs.size() == 1) return print_run(out, runs.front());
  std::vector<std::string> cols;
  for (const auto& r : runs)
    for (const auto& m : r.metrics)
      if (std::find(cols.begin(), cols.end(), m.name) == cols.end()) cols.push_back(m.name);
  out << "| run | point |";
  for (const auto& c : cols) out << ' ' << c << " |";
  out << "\n|---|---|";
  for (std::size_t i = 0; i < cols.size(); ++i) out << "---:|";
  out << '\n';
  for (const auto& r : runs) {
    out << "| " << r.group << " | " << r.sweep_label << " |";
    for (const auto& c : cols) {
      auto it = std::find_if(r.metrics.begin(), r.metrics.end(), [&](const auto& m) { return m.name == c; });
      out << ' ' << (it == r.metrics.end() ? "" : num(it->value)) << " |";
    }
    out << '\n';
  }
  out << "\nunits:";
  for (const auto& c : cols)
    for (const auto& m : runs.front().metrics)
      if (m.name == c) { out << ' ' << c << " [" << m.unit << "]"; break; }
  out << "\n\n";
}

int cmd_report(const Args& args) {
  namespace po = boost::program_options;
  po::options_description opts("kvsim report options");
  opts.add_options()("file", po::value<std::string>()->required(), "a kvsim HDF5 result file")("help,h", "show this help");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: kvsim report OUT.h5\n\n" << opts << '\n';
    return kExitOk;
  }
  po::notify(vm);
  const std::string file = vm["file"].as<std::string>();
  const results::ResultFileData data = results::read_results(file);
  std::cout << "# " << file << "\n\nkvsim " << data.info.kvsim_version << " (commit " << data.info.git_commit
            << "), " << data.info.created << " on " << data.info.host << "\ncommand: " << data.info.command << "\n\n";
  for (const auto& t : data.tables) runner::print_table(std::cout, t);
  if (!data.tables.empty()) return kExitOk;  // a reproduction: its tables are the report
  if (data.runs.size() == 1) print_run(std::cout, data.runs.front());
  else print_sweep(std::cout, data.runs);
  return kExitOk;
}

}  // namespace kvsim::cli
