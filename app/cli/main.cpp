// app/cli/main.cpp — `kvsim VERB ...`: dispatch and error reporting.
#include <boost/program_options/errors.hpp>

#include <cstring>
#include <iostream>
#include <map>

#include "app/cli/cli.h"
#include "app/runner/heap.h"
#include "app/version.h"
#include "results/h5.h"
#include "scenarios/schema.h"

namespace {

const char* kUsage =
    "kvsim — discrete-event simulation and cost modeling of LLM decoding under MPC and memory limits\n"
    "\n"
    "usage: kvsim VERB [options]\n"
    "\n"
    "verbs:\n"
    "  run SCENARIO [-o OUT.h5 [--resume]] [--point K]... [--set k=v]... [--trace OUT.json]\n"
    "                              run a scenario (every point of its [sweep], or those named)\n"
    "  sweep SCENARIO -o OUT.h5 [-j N | --mpi] [--resume] [--shard I/N] [--point K]... [--set k=v]...\n"
    "                              run the points of a [sweep] as a campaign: each point kept as it\n"
    "                              finishes, Ctrl-C keeps them, --resume runs only the rest\n"
    "  merge OUT.h5 PART.h5... [--allow-missing]\n"
    "                              merge shards or parts of one campaign (refuses mismatches)\n"
    "  report OUT.h5               print the metrics of a result file as tables\n"
    "  export OUT.h5 --csv FILE    the tidy table (a row per run, a column per parameter and metric)\n"
    "  diff A.h5 B.h5 [--rtol R]   compare two result files metric by metric (provenance ignored)\n"
    "  explain SCENARIO [--point K] [--set k=v]...\n"
    "                              per-layer, per-kernel breakdown of one forward (kind decode)\n"
    "  costs {aby3,aby3-spu,semi2k,plaintext}\n"
    "                              the declared rounds and bytes of every MPC operation\n"
    "  party --id I --peers host:port,... [--protocol aby3] [--program demo|private-decode]\n"
    "                              one MPC party over real TCP (the transport demo, or a private\n"
    "                              decode step of the small model)\n"
    "  calibration                 simulated vs published per-forward costs the profiles were fitted to\n"
    "  compare-gpu CSV --gpu PROFILE\n"
    "                              simulated vs measured forwards (CSV from tools/gpu/time_decode.py or\n"
    "                              tools/gpu/triforce_costs.py --out)\n"
    "  compare-stack CSV [--stack pytorch] [--host epyc-9754]\n"
    "                              the stack and host profiles vs measured host costs\n"
    "                              (CSV from tools/gpu/triforce_costs.py --host-out)\n"
    "  list {hardware,models,policies,protocols,scenarios,kinds [NAME]}\n"
    "                              show what kvsim knows\n"
    "  reproduce {triforce,mpcache,datarus,all} [-o OUT.h5] [-j N]\n"
    "                              reproduce published tables (those whose scenarios exist)\n"
    "\n"
    "  kvsim --version             version and git commit\n"
    "  kvsim VERB --help           options of one verb\n"
    "\n"
    "exit codes: 0 success, 2 bad usage or bad scenario, 1 runtime failure (diff: files differ),\n"
    "            3 some sweep points failed (the rest written), 128+N stopped by signal N (resumable)\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace kvsim::cli;
  kvsim::runner::keep_freed_memory();
  for (int i = 0; i < argc; ++i) {
    if (i) command_line() += ' ';
    command_line() += argv[i];
  }
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string verb = argv[1];
  if (verb == "--version" || verb == "version") {
    std::cout << "kvsim " << kvsim::kVersion << " (commit " << kvsim::kGitCommit << ")\n";
    return kExitOk;
  }
  if (verb == "--help" || verb == "-h" || verb == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  const std::map<std::string, int (*)(const Args&)> verbs = {
      {"run", cmd_run}, {"sweep", cmd_sweep}, {"report", cmd_report},
      {"list", cmd_list}, {"explain", cmd_explain}, {"costs", cmd_costs}, {"party", cmd_party},
      {"calibration", cmd_calibration}, {"merge", cmd_merge}, {"export", cmd_export}, {"diff", cmd_diff}, {"compare-gpu", cmd_compare_gpu}, {"compare-stack", cmd_compare_stack}, {"reproduce", cmd_reproduce}};
  auto it = verbs.find(verb);
  if (it == verbs.end()) {
    std::cerr << "kvsim: unknown verb '" << verb << "'";
    std::size_t best = 99;
    std::string best_name;
    for (const auto& [name, _] : verbs) {
      const auto d = kvsim::scenarios::edit_distance(verb, name);
      if (d < best) { best = d; best_name = name; }
    }
    if (best <= 2) std::cerr << "; did you mean '" << best_name << "'?";
    std::cerr << "\n\n" << kUsage;
    return kExitUsage;
  }
  const Args args(argv + 2, argv + argc);
  try {
    return it->second(args);
  } catch (const kvsim::scenarios::ScenarioError& e) {
    std::cerr << e.what() << "\nkvsim " << verb << ": scenario rejected, nothing was run\n";
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "kvsim " << verb << ": " << e.what() << "\n(see kvsim " << verb << " --help)\n";
    return kExitUsage;
  } catch (const boost::program_options::error& e) {
    std::cerr << "kvsim " << verb << ": " << e.what() << "\n(see kvsim " << verb << " --help)\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "kvsim " << verb << ": error: " << e.what() << '\n';
    return kExitFailure;
  }
}
