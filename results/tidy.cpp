// results/tidy.cpp — see tidy.h.
#include "results/tidy.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <optional>

#include "results/h5.h"

namespace kvsim::results {

namespace {

// A swept value as TOML text, parsed once: what it is and what it reads as.
struct Value {
  TidyColumn::Type type = TidyColumn::Type::text;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;
};

Value parse_value(const std::string& toml_text) {
  Value v;
  v.text = toml_text;
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + toml_text);
  } catch (const toml::parse_error&) {
    return v;  // not a TOML value after all: keep the text as written
  }
  const toml::node* n = parsed.get("v");
  if (!n) return v;
  if (auto i = n->value<std::int64_t>(); i && n->is_integer()) {
    v.type = TidyColumn::Type::integer;
    v.integer = *i;
    v.real = static_cast<double>(*i);
  } else if (n->is_boolean()) {
    v.type = TidyColumn::Type::integer;
    v.integer = n->as_boolean()->get() ? 1 : 0;
    v.real = static_cast<double>(v.integer);
  } else if (n->is_floating_point()) {
    v.type = TidyColumn::Type::real;
    v.real = n->as_floating_point()->get();
  } else if (n->is_string()) {
    v.text = n->as_string()->get();
  }
  return v;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) { if (c == '"') q += '"'; q += c; }
  return q + "\"";
}

std::string real_text(double v) {
  if (std::isnan(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

const TidyColumn* TidyTable::find(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

TidyTable tidy_table(const std::vector<RunRecord>& runs) {
  TidyTable t;
  t.rows = runs.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();

  TidyColumn run{"run", "", "run", TidyColumn::Type::text, {}, {}, {}};
  TidyColumn index{"sweep_index", "1", "run", TidyColumn::Type::integer, {}, {}, {}};
  for (const auto& r : runs) { run.texts.push_back(r.group); index.integers.push_back(static_cast<std::int64_t>(r.sweep_index)); }
  t.columns.push_back(std::move(run));
  t.columns.push_back(std::move(index));

  // Parameters: keys in first-seen order, each run's value or none.
  std::vector<std::string> keys;
  std::vector<std::map<std::string, Value>> values(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    for (const auto& [k, text] : runs[i].sweep_values) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
      values[i][k] = parse_value(text);
    }
  }
  for (const std::string& k : keys) {
    bool all_integer = true, all_number = true, gap = false;
    for (const auto& row : values) {
      auto it = row.find(k);
      if (it == row.end()) { gap = true; continue; }
      if (it->second.type != TidyColumn::Type::integer) all_integer = false;
      if (it->second.type == TidyColumn::Type::text) all_number = false;
    }
    // Why "1" only for numbers: a swept quantity is written as text ("2 Gbit/s") and carries its
    // unit inside; a plain number in a scenario is dimensionless (the loader refuses a number
    // where a quantity belongs).
    TidyColumn c{k, all_number ? "1" : "", "parameter", TidyColumn::Type::text, {}, {}, {}};
    c.type = all_integer && !gap ? TidyColumn::Type::integer : all_number ? TidyColumn::Type::real : TidyColumn::Type::text;
    for (const auto& row : values) {
      auto it = row.find(k);
      const bool has = it != row.end();
      switch (c.type) {
        case TidyColumn::Type::integer: c.integers.push_back(it->second.integer); break;
        case TidyColumn::Type::real: c.reals.push_back(has ? it->second.real : nan); break;
        case TidyColumn::Type::text: c.texts.push_back(has ? it->second.text : ""); break;
      }
    }
    t.columns.push_back(std::move(c));
  }

  // Metrics: names in first-seen order.
  std::vector<std::string> names;
  std::map<std::string, std::string> units;
  for (const auto& r : runs)
    for (const auto& m : r.metrics)
      if (units.emplace(m.name, m.unit).second) names.push_back(m.name);
  for (const std::string& n : names) {
    const bool clash = std::find(keys.begin(), keys.end(), n) != keys.end() || n == "run" || n == "sweep_index";
    TidyColumn c{clash ? "metric." + n : n, units[n], "metric", TidyColumn::Type::real, {}, {}, {}};
    for (const auto& r : runs) {
      auto it = std::find_if(r.metrics.begin(), r.metrics.end(), [&](const Metric& m) { return m.name == n; });
      c.reals.push_back(it == r.metrics.end() ? nan : it->value);
    }
    t.columns.push_back(std::move(c));
  }
  return t;
}

bool tidy_fits_one_dataset(const TidyTable& table) {
  // Why a bound: HDF5 stores a dataset's compound type in one object-header message of at most
  // 64 KiB; each member costs its name (padded to 8 bytes) plus about 40 bytes of type and offset.
  std::size_t bytes = 0;
  // (Measured with Debian's HDF5 1.10: 650 members of 45-character names fit, 700 do not.)
  for (const auto& c : table.columns)
    bytes += (c.name.size() + 8) / 8 * 8 + 48 + (c.type == TidyColumn::Type::text ? 24 : 0);
  return bytes <= 56 * 1024;
}

void write_tidy(hid_t parent, const TidyTable& table) {
  h5::LibraryLock lock(h5::library_mutex());
  if (!tidy_fits_one_dataset(table)) {
    h5::write_string_attr(parent, "table_omitted",
                          std::to_string(table.columns.size()) + " columns do not fit one HDF5 compound type; `kvsim export "
                          "--csv` and the Python module's kvsim.read() build the table from /runs");
    return;
  }
  // Why 8 bytes a field: int64, double and a string pointer are all 8 bytes on the platforms
  // kvsim builds for, so a row is a plain array of 8-byte slots.
  static_assert(sizeof(char*) == 8 && sizeof(double) == 8 && sizeof(std::int64_t) == 8);
  const std::size_t width = table.columns.size();
  if (width == 0) return;
  h5::Handle str = h5::vlen_string_type();
  h5::Handle type(H5Tcreate(H5T_COMPOUND, 8 * width), H5Tclose, "create tidy table type");
  for (std::size_t c = 0; c < width; ++c) {
    const TidyColumn& col = table.columns[c];
    const hid_t member = col.type == TidyColumn::Type::integer ? H5T_NATIVE_INT64
                         : col.type == TidyColumn::Type::real  ? H5T_NATIVE_DOUBLE
                                                               : str.get();
    h5::check(H5Tinsert(type, col.name.c_str(), 8 * c, member), "tidy table: field " + col.name);
  }
  std::vector<unsigned char> rows(8 * width * table.rows);
  for (std::size_t r = 0; r < table.rows; ++r) {
    for (std::size_t c = 0; c < width; ++c) {
      const TidyColumn& col = table.columns[c];
      unsigned char* slot = rows.data() + 8 * (r * width + c);
      if (col.type == TidyColumn::Type::integer) std::memcpy(slot, &col.integers[r], 8);
      else if (col.type == TidyColumn::Type::real) std::memcpy(slot, &col.reals[r], 8);
      else { const char* p = col.texts[r].c_str(); std::memcpy(slot, &p, 8); }
    }
  }
  const hsize_t dims[1] = {table.rows};
  h5::Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "create space for the tidy table");
  const hid_t created = H5Dcreate2(parent, "table", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (created < 0) {
    // The bound above is an estimate; the runs must never be lost to the derived table.
    h5::write_string_attr(parent, "table_omitted",
                          "HDF5 could not store the " + std::to_string(width) + "-column table; `kvsim export --csv` "
                          "and the Python module's kvsim.read() build it from /runs");
    return;
  }
  h5::Handle ds(created, H5Dclose, "create the tidy table");
  if (table.rows > 0) h5::check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()), "write the tidy table");
  std::vector<std::string> units, sources;
  for (const auto& c : table.columns) { units.push_back(c.unit); sources.push_back(c.source); }
  h5::write_string_array_attr(ds, "units", units);
  h5::write_string_array_attr(ds, "sources", sources);
}

void write_csv(std::ostream& out, const TidyTable& table, bool units_in_header) {
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    const TidyColumn& col = table.columns[c];
    std::string head = col.name;
    if (units_in_header && !col.unit.empty()) head += " [" + col.unit + "]";
    out << (c ? "," : "") << csv_field(head);
  }
  out << "\r\n";
  for (std::size_t r = 0; r < table.rows; ++r) {
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      const TidyColumn& col = table.columns[c];
      out << (c ? "," : "");
      if (col.type == TidyColumn::Type::integer) out << col.integers[r];
      else if (col.type == TidyColumn::Type::real) out << real_text(col.reals[r]);
      else out << csv_field(col.texts[r]);
    }
    out << "\r\n";
  }
}

}  // namespace kvsim::results
