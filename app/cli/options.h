// app/cli/options.h — option parsing shared by the verbs: Boost.Program_options with `--help`
// added, printed with the verb's usage line (then `help` is set and nothing else is checked).
#pragma once

#include <boost/program_options.hpp>

#include "app/cli/cli.h"
#include "results/records.h"
#include "scenarios/scenario.h"

namespace kvsim::cli {

struct Parsed {
  boost::program_options::variables_map vm;
  bool help = false;
};

Parsed parse(const Args& args, boost::program_options::options_description& opts,
             const boost::program_options::positional_options_description& pos, const char* usage);

// Provenance of a file this command writes (version, commit, time, host, command line).
results::FileInfo file_info();
// A UsageError unless the folder `out` would be written in exists.
void check_output_path(const std::string& out);

// The points named by --point (all of them when `only` is empty); a UsageError naming the range
// for an index past the end.
std::vector<const scenarios::ScenarioPoint*> pick(const std::vector<scenarios::ScenarioPoint>& points,
                                                  const std::vector<std::size_t>& only, const std::string& scenario);

}  // namespace kvsim::cli
