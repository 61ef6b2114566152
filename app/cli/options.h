// app/cli/options.h — option parsing shared by the verbs: Boost.Program_options with `--help`
// added, printed with the verb's usage line (then `help` is set and nothing else is checked).
#pragma once

#include <boost/program_options.hpp>

#include "app/cli/cli.h"
#include "results/records.h"

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

}  // namespace kvsim::cli
