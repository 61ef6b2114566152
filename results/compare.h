// results/compare.h — two result files compared metric by metric, provenance aside.
//
// Contract: runs are matched by sweep index (items of one name that repeat, such as a table row
// given twice, are matched in order); for each, the resolved scenario (by hash), every
// metric, every series (element by element) and every timeline row are compared, and
// reproduction tables row by row. Two numbers agree when |a - b| <= atol + rtol * max(|a|, |b|)
// (NaN agrees with NaN). Never compared: creation time, host, command, kvsim version, scenario
// file path, wall time. Each disagreement is one Difference, in file order.
#pragma once

#include <string>
#include <vector>

#include "results/records.h"

namespace kvsim::results {

struct Tolerance {
  double rtol = 0;
  double atol = 0;
  bool scenarios = true;  // false: the resolved scenarios may differ (compare outputs only)
};

struct Difference {
  std::string where;  // "run-0003 metric step_latency", "run-0001 (only in B)", ...
  std::string a;      // the value in A ("" if absent)
  std::string b;
};

std::vector<Difference> compare_results(const ResultFileData& a, const ResultFileData& b, const Tolerance& tol);

}  // namespace kvsim::results
