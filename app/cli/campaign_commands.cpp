// app/cli/campaign_commands.cpp — run, sweep, merge, export, diff: points in, result files out.
#include <signal.h>
#include <unistd.h>

#include <boost/program_options.hpp>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "app/cli/cli.h"
#include "app/cli/options.h"
#include "app/cli/progress.h"
#include "app/cli/report.h"
#include "app/kinds/kinds.h"
#include "app/runner/campaign.h"
#include "app/runner/mpi_pool.h"
#include "app/runner/point_pool.h"
#include "app/runner/run_point.h"
#include "app/version.h"
#include "results/compare.h"
#include "results/merge.h"
#include "results/reader.h"
#include "results/tidy.h"
#include "results/writer.h"

namespace kvsim::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

std::atomic<bool> stop_requested{false};
volatile sig_atomic_t stop_signal = 0;

extern "C" void on_stop_signal(int sig) {
  stop_requested = true;
  stop_signal = sig;
  // Async-signal-safe only: a second signal kills at once (finished points are already on disk).
  static const char msg[] = "\nkvsim: stopping after the running points finish (again to stop now)\n";
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
  ::signal(sig, SIG_DFL);
}

// SIGINT and SIGTERM request a clean stop while it lives.
class StopOnSignals {
 public:
  StopOnSignals() {
    struct sigaction sa{};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopOnSignals() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_{}, old_term_{};
};

void print_resolved(const std::vector<const scenarios::ScenarioPoint*>& points) {
  for (const auto* pt : points) {
    if (points.size() > 1 || pt->index > 0) std::cout << "# --- sweep point " << pt->index << ": " << pt->label() << '\n';
    std::cout << pt->text();
  }
}

}  // namespace

std::vector<const scenarios::ScenarioPoint*> pick(const std::vector<scenarios::ScenarioPoint>& points,
                                                  const std::vector<std::size_t>& only, const std::string& scenario) {
  std::vector<const scenarios::ScenarioPoint*> out;
  for (std::size_t k : only) {
    if (k >= points.size())
      throw UsageError("--point " + std::to_string(k) + ": '" + scenario + "' has " + std::to_string(points.size()) +
                       " point" + (points.size() == 1 ? "" : "s") + ", numbered 0 to " + std::to_string(points.size() - 1));
    out.push_back(&points[k]);
  }
  if (only.empty())
    for (const auto& p : points) out.push_back(&p);
  return out;
}

namespace {

std::string with_resume(const std::string& line) {
  return line.find("--resume") == std::string::npos ? line + " --resume" : line;
}

// Runs a campaign with progress and signals; prints the outcome; returns the exit code.
// `executor` and `workers` (e.g. "3 MPI ranks") replace the local threads when given.
int run_campaign(const std::string& verb, const std::string& scenario, const std::vector<scenarios::ScenarioPoint>& points,
                 const runner::KindRegistry& kinds, runner::CampaignOptions options,
                 const runner::PointExecutor& executor = {}, const std::string& workers = "") {
  stop_requested = false;
  stop_signal = 0;
  options.stop = &stop_requested;
  const std::string out = options.output;
  runner::Campaign campaign = [&] {
    try {
      return runner::Campaign(points, kinds, options, file_info());
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }();
  const runner::CampaignPlan& plan = campaign.plan();
  std::cerr << "kvsim " << verb << ": " << scenario << ": " << points.size() << " point" << (points.size() == 1 ? "" : "s")
            << " (kind " << points.front().kind() << ")";
  if (plan.selected.size() != points.size()) std::cerr << ", " << plan.selected.size() << " selected";
  if (options.shard.count > 1) std::cerr << " in shard " << options.shard.index << "/" << options.shard.count;
  const std::size_t threads = std::min<std::size_t>(options.jobs, std::max<std::size_t>(plan.to_run.size(), 1));
  std::cerr << "; running " << plan.to_run.size() << " on "
            << (workers.empty() ? std::to_string(threads) + " thread" + (threads == 1 ? "" : "s") : workers);
  if (plan.resumed) std::cerr << ", " << plan.resumed << " resumed";
  if (plan.stale) std::cerr << " (" << plan.stale << " earlier results from another build run again)";
  std::cerr << "; writing " << out << '\n';

  Progress progress("kvsim " + verb, plan.to_run.size());
  campaign.set_progress([&](std::size_t done, std::size_t, const results::RunRecord* run) {
    progress.update(done, run ? run->group + (run->sweep_label.empty() ? "" : " " + run->sweep_label) : "");
  });
  StopOnSignals signals;
  const runner::CampaignReport report = campaign.run(executor);
  progress.finish();

  if (report.interrupted) {
    std::cerr << "kvsim " << verb << ": interrupted; " << report.runs.size() << " of " << plan.selected.size()
              << " points are kept in " << runner::parts_dir(out) << "/ (" << out << " was not written); `"
              << with_resume(command_line()) << "` runs the rest\n";
    return 128 + (stop_signal ? stop_signal : SIGINT);
  }
  print_sweep(std::cout, report.runs);
  for (const auto& f : report.failures)
    std::cerr << "kvsim " << verb << ": point " << f.sweep_index << (f.sweep_label.empty() ? "" : " (" + f.sweep_label + ")")
              << " failed: " << f.error << '\n';
  std::cerr << "kvsim " << verb << ": " << report.runs.size() << " points written to " << out;
  if (report.failures.empty()) {
    std::cerr << '\n';
    return kExitOk;
  }
  std::cerr << "; " << report.failures.size() << " failed (recorded under /failures; `" << with_resume(command_line())
            << "` runs them again)\n";
  return kExitSomeFailed;
}

}  // namespace

int cmd_run(const Args& args) {
  po::options_description opts("kvsim run options");
  std::vector<std::string> sets;
  std::vector<std::size_t> only;
  opts.add_options()
      ("scenario", po::value<std::string>()->required(), "scenario file (TOML)")
      ("output,o", po::value<std::string>(), "write results to this HDF5 file (atomically)")
      ("set", po::value<std::vector<std::string>>(&sets)->composing(),
       "override a key: --set key.path=value (on a swept key: narrow the sweep to that value)")
      ("point", po::value<std::vector<std::size_t>>(&only)->composing(), "run only sweep point K (repeatable)")
      ("resume", po::bool_switch(), "a sweep with -o: keep the points an interrupted run finished; run the rest")
      ("trace", po::value<std::string>(), "write the timeline as Chrome trace-event JSON (Perfetto); one point")
      ("print-resolved", po::bool_switch(), "print the fully resolved scenario and exit");
  po::positional_options_description pos;
  pos.add("scenario", 1);
  Parsed p = parse(args, opts, pos,
                   "kvsim run SCENARIO [-o OUT.h5 [--resume]] [--point K]... [--set k=v]... [--trace OUT.json] "
                   "[--print-resolved]");
  if (p.help) return kExitOk;

  const runner::KindRegistry kinds = runner::builtin_kinds();
  const std::string scenario = p.vm["scenario"].as<std::string>();
  const auto points = scenarios::resolve(scenario, sets, kinds.lookup());
  const auto chosen = pick(points, only, scenario);
  if (p.vm["print-resolved"].as<bool>()) {
    print_resolved(chosen);
    return kExitOk;
  }
  std::string out;
  if (p.vm.count("output")) { out = p.vm["output"].as<std::string>(); check_output_path(out); }
  runner::RunOptions ro;
  if (p.vm.count("trace")) {
    if (chosen.size() > 1)
      throw UsageError("--trace writes the timeline of one point and '" + scenario + "' has " +
                       std::to_string(chosen.size()) + ": add --point K (0 to " + std::to_string(points.size() - 1) + ")");
    ro.chrome_trace_path = p.vm["trace"].as<std::string>();
    check_output_path(ro.chrome_trace_path);
  }

  if (p.vm["resume"].as<bool>() && (chosen.size() < 2 || out.empty()))
    throw UsageError("--resume keeps the finished points of a sweep written with -o; '" + scenario + "' runs " +
                     std::to_string(chosen.size()) + " point" + (chosen.size() == 1 ? "" : "s") +
                     (out.empty() ? " without -o" : ""));
  if (chosen.size() > 1) {
    std::cerr << "kvsim run: '" << scenario << "' has a [sweep] of " << points.size() << " points; running "
              << (only.empty() ? "all of them" : "the " + std::to_string(chosen.size()) + " named")
              << " one after another (`--point K` runs one; `kvsim sweep -j N` runs them in parallel and resumably)\n";
    if (!out.empty()) {
      runner::CampaignOptions co;
      co.output = out;
      co.only = only;
      co.resume = p.vm["resume"].as<bool>();
      return run_campaign("run", scenario, points, kinds, co);
    }
    Progress progress("kvsim run", chosen.size());
    runner::PoolHooks hooks;
    hooks.finished = [&](std::size_t, runner::PointOutcome&, std::size_t done) { progress.update(done); };
    auto outcomes = runner::run_points(chosen, kinds, ro, 1, hooks);
    progress.finish();
    std::vector<results::RunRecord> records;
    int code = kExitOk;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      if (!outcomes[i].error) { records.push_back(std::move(outcomes[i].record)); continue; }
      std::cerr << "kvsim run: point " << chosen[i]->index << " (" << chosen[i]->label()
                << ") failed: " << runner::error_message(outcomes[i].error) << '\n';
      code = kExitSomeFailed;
    }
    print_sweep(std::cout, records);
    return code;
  }

  results::RunRecord record = runner::run_point(*chosen.front(), kinds, ro);
  print_run(std::cout, record);
  if (!out.empty()) {
    results::ResultWriter w(out, file_info());
    w.add_run(record);
    w.commit();
    std::cerr << "kvsim run: wrote " << out << '\n';
  }
  if (!ro.chrome_trace_path.empty()) {
    if (!record.timeline.empty()) {
      std::cerr << "kvsim run: wrote trace " << ro.chrome_trace_path << '\n';
    } else {
      std::cerr << "kvsim run: the run put nothing on the timeline; no trace written to " << ro.chrome_trace_path << '\n';
    }
  }
  return kExitOk;
}

int cmd_sweep(const Args& args) {
  po::options_description opts("kvsim sweep options");
  std::vector<std::string> sets;
  std::vector<std::size_t> only;
  opts.add_options()
      ("scenario", po::value<std::string>()->required(), "scenario file (TOML) with a [sweep] table")
      ("output,o", po::value<std::string>(), "HDF5 file for all points (required unless --print-resolved)")
      ("jobs,j", po::value<unsigned>()->default_value(1), "points run in parallel on local threads")
      ("resume", po::bool_switch(), "keep the points an interrupted run of this output finished; run the rest")
      ("shard", po::value<std::string>(), "run only shard I of N (points whose index mod N is I): I/N")
      ("point", po::value<std::vector<std::size_t>>(&only)->composing(), "run only sweep point K (repeatable)")
      ("mpi", po::bool_switch(), "under mpirun -n K: rank 0 writes, ranks 1..K-1 take points one at a time")
      ("set", po::value<std::vector<std::string>>(&sets)->composing(),
       "override a key: --set key.path=value (on a swept key: narrow the sweep to that value)")
      ("print-resolved", po::bool_switch(), "print every resolved point and exit")
      ("count", po::bool_switch(), "print the number of points (after --set) and exit");
  po::positional_options_description pos;
  pos.add("scenario", 1);
  Parsed p = parse(args, opts, pos,
                   "kvsim sweep SCENARIO -o OUT.h5 [-j N | --mpi] [--resume] [--shard I/N] [--point K]... "
                   "[--set k=v]... [--print-resolved | --count]");
  if (p.help) return kExitOk;

  const runner::KindRegistry kinds = runner::builtin_kinds();
  const std::string scenario = p.vm["scenario"].as<std::string>();
  const auto points = scenarios::resolve(scenario, sets, kinds.lookup());
  runner::CampaignOptions co;
  co.only = only;
  co.jobs = std::max(1u, p.vm["jobs"].as<unsigned>());
  co.resume = p.vm["resume"].as<bool>();
  if (p.vm.count("shard")) {
    try {
      co.shard = runner::parse_shard(p.vm["shard"].as<std::string>());
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }
  if (p.vm["count"].as<bool>()) {
    std::cout << points.size() << '\n';
    return kExitOk;
  }
  if (p.vm["print-resolved"].as<bool>()) {
    std::vector<const scenarios::ScenarioPoint*> shown;
    for (const auto* pt : pick(points, only, scenario))
      if (co.shard.has(pt->index)) shown.push_back(pt);
    print_resolved(shown);
    return kExitOk;
  }
  if (!p.vm.count("output")) throw UsageError("missing -o OUT.h5");
  co.output = p.vm["output"].as<std::string>();
  check_output_path(co.output);
  pick(points, only, scenario);  // names a bad --point before anything runs
  if (!p.vm["mpi"].as<bool>()) return run_campaign("sweep", scenario, points, kinds, co);

  if (!runner::mpi::available())
    throw UsageError("--mpi: this kvsim was built without MPI (install libopenmpi-dev, e.g. with tools/install-deps.sh, "
                     "and configure again)");
  if (co.jobs > 1) throw UsageError("--mpi runs one point at a time per rank: start more ranks (mpirun -n K) instead of -j");
  // Every rank resolved the same points above; from here rank 0 writes and the others serve it.
  runner::mpi::Session session;
  if (session.rank() > 0) {
    runner::mpi::serve(session, points, kinds);
    return kExitOk;
  }
  bool coordinating = false;
  const runner::PointExecutor on_ranks = [&](const std::vector<const scenarios::ScenarioPoint*>& todo,
                                             const runner::PoolHooks& hooks) {
    coordinating = true;
    return runner::mpi::coordinate(session, todo, kinds, hooks);
  };
  const std::string workers = session.size() > 1 ? std::to_string(session.size() - 1) + " MPI rank" +
                                                       (session.size() == 2 ? "" : "s") + " (rank 0 writes)"
                                                 : "rank 0 alone (mpirun -n K gives it K-1 workers)";
  try {
    return run_campaign("sweep", scenario, points, kinds, co, on_ranks, workers);
  } catch (...) {
    // The workers wait for work: tell them to stop unless the campaign already did.
    if (!coordinating) runner::mpi::release_workers(session);
    throw;
  }
}

int cmd_merge(const Args& args) {
  po::options_description opts("kvsim merge options");
  std::vector<std::string> parts;
  opts.add_options()
      ("output", po::value<std::string>()->required(), "the merged HDF5 file")
      ("parts", po::value<std::vector<std::string>>(&parts)->required(), "result files of one campaign (shards, parts)")
      ("allow-missing", po::bool_switch(), "write the merge even if some points are in no file");
  po::positional_options_description pos;
  pos.add("output", 1).add("parts", -1);
  Parsed p = parse(args, opts, pos, "kvsim merge OUT.h5 PART.h5... [--allow-missing]");
  if (p.help) return kExitOk;
  const std::string out = p.vm["output"].as<std::string>();
  check_output_path(out);
  std::vector<results::MergePart> inputs;
  for (const auto& f : parts) {
    if (fs::exists(out) && fs::equivalent(out, f)) throw UsageError("'" + out + "' is both the output and a part");
    inputs.push_back({f, results::read_results(f)});
  }
  results::ResultFileData merged = [&] {
    try {
      return results::merge_campaign(inputs, p.vm["allow-missing"].as<bool>());
    } catch (const results::ResultError& e) {
      throw UsageError(e.what());
    }
  }();
  results::FileInfo info = file_info();
  info.kvsim_version = merged.info.kvsim_version;  // the build that computed the points
  info.git_commit = merged.info.git_commit;
  results::ResultWriter w(out, info);
  w.set_campaign(merged.campaign);
  for (const auto& r : merged.runs) w.add_run(r);
  for (const auto& f : merged.failures) w.add_failure(f);
  w.commit();
  std::cerr << "kvsim merge: " << parts.size() << " files, " << merged.runs.size() << " of " << merged.campaign.points
            << " points" << (merged.failures.empty() ? "" : " (" + std::to_string(merged.failures.size()) + " failed)")
            << ", wrote " << out << '\n';
  return merged.failures.empty() ? kExitOk : kExitSomeFailed;
}

int cmd_export(const Args& args) {
  po::options_description opts("kvsim export options");
  opts.add_options()
      ("file", po::value<std::string>()->required(), "a kvsim HDF5 result file")
      ("csv", po::value<std::string>()->required(), "write the tidy table as CSV to this file ('-': stdout)")
      ("units-in-header", po::bool_switch(), "name columns 'metric [unit]' instead of 'metric'");
  po::positional_options_description pos;
  pos.add("file", 1);
  Parsed p = parse(args, opts, pos, "kvsim export OUT.h5 --csv FILE.csv|- [--units-in-header]");
  if (p.help) return kExitOk;
  const results::ResultFileData data = results::read_results(p.vm["file"].as<std::string>());
  std::ostringstream csv;
  results::write_csv(csv, results::tidy_table(data.runs), p.vm["units-in-header"].as<bool>());
  const std::string dest = p.vm["csv"].as<std::string>();
  if (dest == "-") {
    std::cout << csv.str();
  } else {
    check_output_path(dest);
    runner::write_file_atomically(dest, csv.str());
    std::cerr << "kvsim export: " << data.runs.size() << " runs, wrote " << dest << '\n';
  }
  return kExitOk;
}

int cmd_diff(const Args& args) {
  po::options_description opts("kvsim diff options");
  opts.add_options()
      ("a", po::value<std::string>()->required(), "first result file")
      ("b", po::value<std::string>()->required(), "second result file")
      ("rtol", po::value<double>()->default_value(0), "relative tolerance: |a-b| <= atol + rtol*max(|a|,|b|)")
      ("atol", po::value<double>()->default_value(0), "absolute tolerance")
      ("ignore-scenario", po::bool_switch(), "compare outputs only, even where the resolved scenarios differ")
      ("max", po::value<std::size_t>()->default_value(50), "print at most this many differences");
  po::positional_options_description pos;
  pos.add("a", 1).add("b", 1);
  Parsed p = parse(args, opts, pos, "kvsim diff A.h5 B.h5 [--rtol R] [--atol A] [--ignore-scenario] [--max N]\n\n"
                                    "exit 0 when the files agree, 1 when they differ, 2 on bad usage or unreadable files");
  if (p.help) return kExitOk;
  const std::string a = p.vm["a"].as<std::string>(), b = p.vm["b"].as<std::string>();
  results::ResultFileData da, db;
  try {
    da = results::read_results(a);
    db = results::read_results(b);
  } catch (const results::ResultError& e) {
    throw UsageError(e.what());
  }
  const results::Tolerance tol{p.vm["rtol"].as<double>(), p.vm["atol"].as<double>(), !p.vm["ignore-scenario"].as<bool>()};
  if (tol.rtol < 0 || tol.atol < 0) throw UsageError("tolerances cannot be negative");
  const auto diffs = results::compare_results(da, db, tol);
  const std::size_t shown = std::min(diffs.size(), p.vm["max"].as<std::size_t>());
  for (std::size_t i = 0; i < shown; ++i)
    std::cout << diffs[i].where << ": " << (diffs[i].a.empty() ? "-" : diffs[i].a) << " vs "
              << (diffs[i].b.empty() ? "-" : diffs[i].b) << '\n';
  if (diffs.size() > shown) std::cout << "... and " << diffs.size() - shown << " more\n";
  std::cout << (diffs.empty() ? "same" : std::to_string(diffs.size()) + " differences") << ": " << da.runs.size()
            << " runs in A, " << db.runs.size() << " in B (rtol " << tol.rtol << ", atol " << tol.atol
            << "; provenance and wall time ignored)\n";
  return diffs.empty() ? kExitOk : kExitFailure;
}

}  // namespace kvsim::cli
