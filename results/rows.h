// results/rows.h — the on-disk row layouts of kvsim's compound datasets (internal to results/).
//
// Contract: one struct and one HDF5 compound type per dataset (metrics, timeline, reproduction
// tables), used by both the writer and the reader, so the two cannot drift apart (SCHEMA.md is the
// prose of the same layouts). Strings are variable-length: rows point at the caller's strings on
// write; on read, HDF5 allocates them and read_rows() frees them after `convert` has copied them.
#pragma once

#include <string>
#include <vector>

#include "results/h5.h"
#include "results/records.h"

namespace kvsim::results::rows {

struct MetricRow {
  const char* name;
  double value;
  const char* unit;
};

struct TimelineRow {
  const char* resource;
  std::uint64_t spans;
  double busy_s;
  std::uint64_t bytes;
  double first_start_s;
  double last_end_s;
};

struct ReproTableRow {
  const char* row;
  const char* metric;
  const char* unit;
  double simulated;
  double paper;
};

struct SweepValueRow {
  const char* key;
  const char* value;  // TOML text
};

h5::Handle compound_type(const MetricRow*);
h5::Handle compound_type(const SweepValueRow*);
h5::Handle compound_type(const TimelineRow*);
h5::Handle compound_type(const ReproTableRow*);

// Writes `rows` as the 1-D dataset `name` of `group` (an empty vector gives an empty dataset).
template <class Row>
void write_rows(hid_t group, const std::string& name, const std::vector<Row>& rows) {
  h5::Handle type = compound_type(static_cast<const Row*>(nullptr));
  const hsize_t dims[1] = {rows.size()};
  h5::Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "create dataspace for " + name);
  h5::Handle ds(H5Dcreate2(group, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose,
                "create " + name);
  if (!rows.empty()) h5::check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()), "write " + name);
}

// Reads the dataset `name` of `group` and returns convert(row) for each row.
template <class Row, class Convert>
auto read_rows(hid_t group, const std::string& name, Convert convert) {
  h5::Handle type = compound_type(static_cast<const Row*>(nullptr));
  h5::Handle ds(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose, "open " + name);
  h5::Handle space(H5Dget_space(ds), H5Sclose, "dataspace of " + name);
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  if (n < 0 || H5Sget_simple_extent_ndims(space) != 1) throw ResultError(name + " is not a one-dimensional table");
  std::vector<Row> rows(static_cast<std::size_t>(n));
  std::vector<decltype(convert(rows.front()))> out;
  if (rows.empty()) return out;
  if (H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()) < 0) {
    H5Dvlen_reclaim(type, space, H5P_DEFAULT, rows.data());  // strings a partial read allocated
    throw ResultError("read " + name + ": not a table of the expected rows");
  }
  for (const Row& r : rows) out.push_back(convert(r));
  H5Dvlen_reclaim(type, space, H5P_DEFAULT, rows.data());
  return out;
}

// A variable-length string read back (HDF5 gives a null pointer for a string never written).
inline std::string text(const char* s) { return s ? s : ""; }

}  // namespace kvsim::results::rows
