// app/cli/commands.cpp — explain, costs, list, reproduce (run and sweep: campaign_commands.cpp).
#include <unistd.h>

#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "scenarios/data_location.h"
#include "app/cli/cli.h"
#include "app/cli/options.h"
#include "app/cli/progress.h"
#include "app/cli/report.h"
#include "models/kv/policy.h"
#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/point_pool.h"
#include "app/runner/reproduction.h"
#include "app/runner/run_point.h"
#include "app/version.h"
#include "hardware/profile.h"
#include "models/architecture.h"
#include "protocols/protocol.h"
#include "results/writer.h"

namespace kvsim::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

std::string& command_line() {
  static std::string line;  // written once in main() before any verb runs
  return line;
}

std::string scenario_dir() {
  if (const char* d = std::getenv("KVSIM_SCENARIO_DIR")) return d;
  return scenarios::data_file("scenarios", std::string(kvsim::kSourceDir) + "/scenarios");
}

Parsed parse(const Args& args, po::options_description& opts, const po::positional_options_description& pos,
             const char* usage) {
  opts.add_options()("help,h", "show this help");
  Parsed p;
  po::store(po::command_line_parser(args).options(opts).positional(pos).run(), p.vm);
  if (p.vm.count("help")) {
    std::cout << "usage: " << usage << "\n\n" << opts << '\n';
    p.help = true;
    return p;
  }
  po::notify(p.vm);
  return p;
}

results::FileInfo file_info() {
  return results::FileInfo{kvsim::kVersion, kvsim::kGitCommit, results::utc_now_iso8601(), results::host_name(),
                           command_line()};
}

void check_output_path(const std::string& out) {
  const fs::path p(out);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw UsageError("output folder '" + dir.string() + "' does not exist");
}

int cmd_explain(const Args& args) {
  po::options_description opts("kvsim explain options");
  std::vector<std::string> sets;
  opts.add_options()
      ("scenario", po::value<std::string>()->required(), "scenario file (TOML)")
      ("point", po::value<std::size_t>()->default_value(0), "the sweep point to explain")
      ("set", po::value<std::vector<std::string>>(&sets)->composing(),
       "override a key: --set key.path=value (on a swept key: narrow the sweep to that value)");
  po::positional_options_description pos;
  pos.add("scenario", 1);
  Parsed p = parse(args, opts, pos, "kvsim explain SCENARIO [--point K] [--set k=v]...");
  if (p.help) return kExitOk;
  const runner::KindRegistry kinds = runner::builtin_kinds();
  const std::string scenario = p.vm["scenario"].as<std::string>();
  const auto points = scenarios::resolve(scenario, sets, kinds.lookup());
  const std::size_t k = p.vm["point"].as<std::size_t>();
  const auto& pt = *pick(points, {k}, scenario).front();
  if (points.size() > 1)
    std::cout << "(explaining sweep point " << k << " of " << points.size() << ": " << pt.label()
              << "; --point K for another)\n\n";
  if (!kinds.find(pt.kind())->explain(pt, std::cout)) {
    throw UsageError("kind '" + pt.kind() + "' has no explanation; explain works on kind \"decode\"");
  }
  return kExitOk;
}

int cmd_costs(const Args& args) {
  po::options_description opts("kvsim costs options");
  opts.add_options()("family", po::value<std::string>()->required(), "aby3 | aby3-spu | semi2k | plaintext");
  po::positional_options_description pos;
  pos.add("family", 1);
  Parsed p = parse(args, opts, pos, "kvsim costs {aby3,aby3-spu,semi2k,plaintext}");
  if (p.help) return kExitOk;
  const std::string f = p.vm["family"].as<std::string>();
  std::vector<protocols::CostFormula> rows;
  try {
    rows = protocols::cost_formulas(f);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  std::cout << "# " << f << ": declared cost per party (K = 64 ring bits; bytes = bits / 8; n elements; w = ceil(n / 64) words per bit plane)\n\n"
            << "| op | rounds | communication | how |\n|---|---|---|---|\n";
  for (const auto& r : rows) std::cout << "| " << r.op << " | " << r.rounds << " | " << r.bytes << " | " << r.note << " |\n";
  return kExitOk;
}

int cmd_list(const Args& args) {
  po::options_description opts("kvsim list options");
  opts.add_options()("what", po::value<std::string>()->required(),
                     "hardware | models | policies | protocols | scenarios | kinds")
                    ("name", po::value<std::string>(), "kinds only: the one kind to describe");
  po::positional_options_description pos;
  pos.add("what", 1).add("name", 1);
  Parsed p = parse(args, opts, pos, "kvsim list {hardware,models,policies,protocols,scenarios,kinds [NAME]}");
  if (p.help) return kExitOk;
  const std::string what = p.vm["what"].as<std::string>();
  if (p.vm.count("name") && what != "kinds") throw UsageError("only `kvsim list kinds NAME` takes a name");

  if (what == "kinds") {
    const runner::KindRegistry kinds = runner::builtin_kinds();
    if (p.vm.count("name")) {
      const std::string name = p.vm["name"].as<std::string>();
      const runner::Kind* k = kinds.find(name);
      if (!k) {
        std::string all;
        for (const auto& n : kinds.names()) all += (all.empty() ? "" : ", ") + n;
        throw UsageError("no kind '" + name + "'; the kinds are: " + all);
      }
      std::cout << k->name() << " — " << k->description() << "\n\nkeys (with defaults):\n" << k->schema().describe(2)
                << "\nmetrics: results/SCHEMA.md, section \"Metrics of kind `" << k->name() << "`\"\n";
      return kExitOk;
    }
    for (const auto& k : kinds.kinds()) std::cout << k->name() << " — " << k->description() << "\n";
    std::cout << "(`kvsim list kinds NAME` shows a kind's keys and defaults)\n";
    return kExitOk;
  }
  if (what == "scenarios") {
    const std::string dir = scenario_dir();
    std::vector<std::string> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); ++it) {
      if (it->path().extension() == ".toml") files.push_back(fs::relative(it->path(), dir).string());
    }
    std::sort(files.begin(), files.end());
    std::cout << "scenarios in " << dir << ":\n";
    for (const auto& f : files) {
      std::string desc;
      try {
        toml::table t = scenarios::load_tree((fs::path(dir) / f).string());
        desc = t["description"].value_or(std::string());
      } catch (const std::exception& e) {
        desc = std::string("(unreadable: ") + e.what() + ")";
      }
      std::cout << "  " << f << (desc.empty() ? "" : "  — " + desc) << '\n';
    }
    return kExitOk;
  }
  if (what == "hardware") {
    const hardware::Catalog cat = hardware::Catalog::load(hardware::Catalog::default_dir());
    for (const char* kind : {"gpu", "host", "link", "stack"}) {
      std::cout << kind << ":\n";
      for (const auto& n : cat.names(kind)) {
        std::cout << "  " << n << "  — " << cat.description_of(kind, n) << '\n';
      }
    }
    std::cout << "(profiles in " << hardware::Catalog::default_dir() << "; every number has its source there)\n";
    return kExitOk;
  }
  if (what == "models") {
    const models::Zoo zoo = models::Zoo::load(models::Zoo::default_dir());
    std::printf("%-24s %8s %6s %6s %4s %7s %7s %9s %10s\n", "model", "params", "layers", "hidden", "kv", "ffn",
                "vocab", "context", "KV/token");
    for (const auto& n : zoo.names()) {
      const models::Architecture& a = zoo.get(n);
      std::printf("%-24s %7.2fB %6lld %6lld %4lld %7lld %7lld %9lld %7.1f KiB\n", n.c_str(), a.params() / 1e9,
                  static_cast<long long>(a.layers), static_cast<long long>(a.hidden), static_cast<long long>(a.kv_heads),
                  static_cast<long long>(a.ffn), static_cast<long long>(a.vocab), static_cast<long long>(a.max_context),
                  a.kv_bytes_per_token() / 1024.0);
    }
    return kExitOk;
  }
  if (what == "policies") {
    for (const auto& pol : models::kv::policy_catalog()) {
      std::cout << pol.name << " — " << pol.summary << "\n    source: " << pol.source << '\n';
      for (const auto& prm : pol.params)
        std::printf("    %-22s default %-8g %s%s\n", prm.name.c_str(), prm.default_value, prm.meaning.c_str(),
                    prm.unit == models::kv::ParamUnit::kPlain ? "" : " [tokens]");
    }
    std::cout << "(run one on the small model with kind kv-quality; [tokens] defaults are scaled by the model's\n"
                 " positions per token, model.positions_per_token: 4 on the byte model; docs/kv-policies.md)\n";
    return kExitOk;
  }
  if (what == "protocols") {
    for (const auto& f : protocols::protocol_families()) {
      std::cout << f << " — " << protocols::computing_parties_of(f) << " computing parties"
                << (f == "semi2k" ? " + a trusted dealer (offline)" : "") << "; costs: kvsim costs " << f << '\n';
    }
    return kExitOk;
  }
  throw UsageError("cannot list '" + what + "'; choose hardware, models, policies, protocols, scenarios or kinds");
}

int cmd_reproduce(const Args& args) {
  po::options_description opts("kvsim reproduce options");
  opts.add_options()
      ("what", po::value<std::string>()->required(), "triforce | mpcache | datarus | all")
      ("output,o", po::value<std::string>(), "write every table and run to this HDF5 file")
      ("jobs,j", po::value<unsigned>()->default_value(1), "scenarios run in parallel on local threads");
  po::positional_options_description pos;
  pos.add("what", 1);
  Parsed p = parse(args, opts, pos, "kvsim reproduce {triforce,mpcache,datarus,all} [-o OUT.h5] [-j N]");
  if (p.help) return kExitOk;
  const std::string what = p.vm["what"].as<std::string>();
  const auto all = runner::reproductions(scenario_dir());
  std::vector<runner::ReproductionInfo> chosen;
  for (const auto& r : all) {
    if (what != "all" && what != r.name) continue;
    if (!r.available) {
      std::cerr << "kvsim reproduce: " << r.name << " is not available: no scenarios in " << r.folder << "\n";
      if (what != "all") return kExitUsage;
      continue;
    }
    chosen.push_back(r);
  }
  const bool known = std::any_of(all.begin(), all.end(), [&](const runner::ReproductionInfo& r) { return r.name == what; });
  if (what != "all" && chosen.empty() && !known)
    throw UsageError("unknown reproduction '" + what + "'; choose triforce, mpcache, datarus or all");
  if (chosen.empty()) {
    std::cerr << "kvsim reproduce: nothing to reproduce yet\n";
    return kExitUsage;
  }
  std::string out;
  if (p.vm.count("output")) { out = p.vm["output"].as<std::string>(); check_output_path(out); }
  const runner::KindRegistry kinds = runner::builtin_kinds();
  std::vector<std::string> names;
  for (const auto& r : chosen) names.push_back(r.name);
  const unsigned jobs = std::max(1u, p.vm["jobs"].as<unsigned>());
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  std::cerr << "kvsim reproduce: " << list << " on " << jobs << " thread" << (jobs == 1 ? "" : "s")
            << (out.empty() ? "" : "; writing " + out) << '\n';
  // Every chosen reproduction's points in one pool.
  Progress progress("kvsim reproduce", 0);  // the total is known once the scenarios are resolved
  const std::vector<runner::ReproductionResult> results =
      runner::run_reproductions(names, scenario_dir(), kinds, jobs, [&](std::size_t done, std::size_t total) {
        progress.set_total(total);
        progress.update(done);
      });
  progress.finish();
  std::vector<results::ReproTable> all_tables;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::cout << "## Reproduction: " << names[i] << "\n\n";
    for (const auto& t : results[i].tables) {
      runner::print_table(std::cout, t);
      all_tables.push_back(t);
    }
  }
  runner::print_accuracy_summary(std::cout, all_tables);
  if (!out.empty()) {
    results::ResultWriter w(out, file_info());
    for (const auto& res : results) {
      for (const auto& run : res.runs) w.add_run(run);
      for (const auto& t : res.tables) w.add_table(t);
    }
    w.commit();
    std::cerr << "kvsim reproduce: wrote " << out << '\n';
  }
  return kExitOk;
}

}  // namespace kvsim::cli
