// results/tidy.h — the tidy table of a result file: one row per run, one typed column per swept
// parameter and per metric, each with its unit.
//
// Contract:
// - Columns, in order: `run` (the group, text), `sweep_index` (integer), then every swept key in
//   the order the runs name them (typed from its TOML values: all integers or booleans ->
//   integer, numbers -> real, anything else -> text, a string without its quotes), then every
//   metric in first-seen order (real, with the metric's unit). A value a run lacks is NaN (real),
//   "" (text); an integer column with a gap becomes real.
// - A metric whose name equals a swept key is named `metric.<name>` (names stay unique).
// - write_tidy() stores it as the compound dataset `table` of `parent` (fields of 8 bytes:
//   int64, double or variable-length string) with the string-list attributes `units` and
//   `sources` ("run", "parameter", "metric") parallel to the fields; pandas reads it with
//   `pd.DataFrame(f["table"][()])`. A table too wide for one HDF5 compound type (some thousand
//   columns: tidy_fits_one_dataset() is false) is not written; the root attribute `table_omitted`
//   says so, and export/Python build it from the runs instead.
// - write_csv() writes RFC 4180 CSV (fields with commas, quotes or newlines quoted), reals with
//   17 significant digits (they read back bit for bit).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <hdf5.h>

#include "results/records.h"

namespace kvsim::results {

struct TidyColumn {
  enum class Type { integer, real, text };
  std::string name;
  std::string unit;    // "" for run and text columns, "1" for dimensionless
  std::string source;  // "run", "parameter", "metric"
  Type type = Type::real;
  std::vector<std::int64_t> integers;  // one per row, for Type::integer
  std::vector<double> reals;           // for Type::real
  std::vector<std::string> texts;      // for Type::text
};

struct TidyTable {
  std::size_t rows = 0;
  std::vector<TidyColumn> columns;
  const TidyColumn* find(const std::string& name) const;
};

TidyTable tidy_table(const std::vector<RunRecord>& runs);

bool tidy_fits_one_dataset(const TidyTable& table);
void write_tidy(hid_t parent, const TidyTable& table);

void write_csv(std::ostream& out, const TidyTable& table, bool units_in_header = false);

}  // namespace kvsim::results
