// app/cli/cli.h — the `kvsim` command line: verbs, their options, exit codes.
//
// Exit codes: 0 success; 2 bad usage or a bad scenario (nothing was run); 1 a failure while
// running or writing results (`kvsim diff`: the files differ); 3 a sweep finished with some
// points failed (the others are written, the failures recorded); 128 + signal when SIGINT or
// SIGTERM stopped a sweep (its finished points are kept for --resume). Errors go to stderr as "kvsim VERB: ..." lines; results to stdout.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace kvsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitSomeFailed = 3;

class UsageError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Args = std::vector<std::string>;  // the arguments after the verb

int cmd_run(const Args& args);
int cmd_sweep(const Args& args);
int cmd_report(const Args& args);
int cmd_list(const Args& args);
int cmd_explain(const Args& args);
int cmd_costs(const Args& args);
int cmd_party(const Args& args);
int cmd_calibration(const Args& args);
int cmd_compare_gpu(const Args& args);
int cmd_compare_stack(const Args& args);
int cmd_reproduce(const Args& args);
int cmd_merge(const Args& args);
int cmd_export(const Args& args);
int cmd_diff(const Args& args);

// Where `kvsim list scenarios` looks: $KVSIM_SCENARIO_DIR, else the source tree's scenarios/.
std::string scenario_dir();
// The command line as one string, for the results' provenance.
std::string& command_line();

}  // namespace kvsim::cli
