// app/cli/report.h — result records as Markdown tables on a stream.
#pragma once

#include <ostream>
#include <vector>

#include "results/records.h"

namespace kvsim::cli {

// One run: its metrics (name | value | unit), then its busiest resources.
void print_run(std::ostream& out, const results::RunRecord& run);
// Several runs (a sweep): one row per run, one column per metric.
void print_sweep(std::ostream& out, const std::vector<results::RunRecord>& runs);

}  // namespace kvsim::cli
