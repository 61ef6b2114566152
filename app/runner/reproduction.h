// app/runner/reproduction.h — `kvsim reproduce`: run a paper's scenario set, attach the reference
// values, and produce its tables.
//
// Contract: a reproduction NAME is the folder scenarios/NAME/: every *.toml there except
// reference.toml is a scenario whose kind emits table rows; the table is the scenario's `table`
// key, or the file's stem (several files may add rows to one table).
// scenarios/NAME/reference.toml holds the published (or brief) values as
//   [[value]] table = "...", row = "...", metric = "...", value = <number or quantity>, source = "..."
// and is checked strictly: a value naming a row or metric no scenario produces is an error with
// its file:line, so a renamed row cannot silently lose its reference. Paper values are NaN where
// no reference is held. Simulated values come only from the scenarios.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "app/runner/kind.h"
#include "results/records.h"

namespace kvsim::runner {

struct ReproductionInfo {
  std::string name;
  bool available = false;
  std::string folder;
};

// triforce, mpcache, datarus: whether each has scenarios in `scenario_dir`.
std::vector<ReproductionInfo> reproductions(const std::string& scenario_dir);

struct ReproductionResult {
  std::vector<results::ReproTable> tables;
  std::vector<results::RunRecord> runs;
};

ReproductionResult run_reproduction(const std::string& name, const std::string& scenario_dir,
                                    const KindRegistry& kinds, unsigned jobs = 1);
// Several reproductions with all their points in one pool (app/runner/point_pool.h); results in
// the order of `names`, each as run_reproduction() gives it.
// `progress`, when given, is told the points done and the total after each point (serialized).
std::vector<ReproductionResult> run_reproductions(
    const std::vector<std::string>& names, const std::string& scenario_dir, const KindRegistry& kinds, unsigned jobs = 1,
    const std::function<void(std::size_t done, std::size_t total)>& progress = {});

// | row | metric | unit | simulated | paper | error | as Markdown.
void print_table(std::ostream& out, const results::ReproTable& table);

// One line per table: rows with a reference value, the median and the worst relative error
// (|simulated / paper - 1|, the worst row named), and the count within 10% and within 25%.
void print_accuracy_summary(std::ostream& out, const std::vector<results::ReproTable>& tables);

}  // namespace kvsim::runner
