// scenarios/schema.h — what a scenario file may contain, and the strict check against it.
//
// Contract: a TableSchema lists every key a table accepts with its type, unit dimension, range,
// choices and default. validate_and_fill() reports EVERY problem it finds as a Diagnostic
// "file:line:col: key.path: what is wrong" (with the closest valid key for a misspelt one), and
// fills in defaults so that the resolved scenario states every value the run used.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <toml++/toml.h>

#include "scenarios/units.h"

namespace kvsim::scenarios {

enum class FieldType {
  kString, kInteger, kFloat, kBool, kQuantity,
  kStringArray, kFloatArray,
  kTable,       // [name] with a fixed sub-schema
  kTableArray,  // [[name]], each element with the sub-schema
  kTableMap,    // [name.<anything>] — user-named entries, each with the sub-schema
};
std::string_view field_type_name(FieldType t);

class TableSchema;
struct Diagnostic;

// A check of a table that depends on its values (a KV policy's parameters depend on its name). It
// runs after the table's keys were checked and their defaults filled in; it may insert further
// defaults (so the resolved scenario states them) and report problems. `key` is the table's
// dotted path, `fallback` the location for nodes without a source.
using TableRule = std::function<void(toml::table& t, const std::string& key, std::string_view fallback,
                                     std::vector<Diagnostic>& out)>;

struct Field {
  std::string name;
  FieldType type = FieldType::kString;
  std::string doc;
  Dimension dim = Dimension::kTime;  // for kQuantity
  bool is_required = false;
  std::optional<double> min_value, max_value;  // numbers, quantities (base unit), array lengths
  bool min_is_exclusive = false;
  std::vector<std::string> allowed;            // for strings
  std::variant<std::monostate, std::string, std::int64_t, double, bool> default_value;
  std::shared_ptr<TableSchema> sub;            // tables

  Field& required() { is_required = true; default_value = std::monostate{}; return *this; }  // no default then
  Field& min(double v, bool exclusive = false) { min_value = v; min_is_exclusive = exclusive; return *this; }
  Field& max(double v) { max_value = v; return *this; }
  Field& choices(std::vector<std::string> c) { allowed = std::move(c); return *this; }
  template <class T>
  Field& defaults(T v) {
    if constexpr (std::is_same_v<T, const char*>) default_value = std::string(v);
    else if constexpr (std::is_same_v<T, int>) default_value = static_cast<std::int64_t>(v);
    else default_value = v;
    return *this;
  }
};

class TableSchema {
 public:
  Field& string(std::string name, std::string doc) { return add(std::move(name), FieldType::kString, std::move(doc)); }
  Field& integer(std::string name, std::string doc) { return add(std::move(name), FieldType::kInteger, std::move(doc)); }
  Field& number(std::string name, std::string doc) { return add(std::move(name), FieldType::kFloat, std::move(doc)); }
  Field& boolean(std::string name, std::string doc) { return add(std::move(name), FieldType::kBool, std::move(doc)); }
  Field& quantity(std::string name, Dimension dim, std::string doc);
  Field& strings(std::string name, std::string doc) { return add(std::move(name), FieldType::kStringArray, std::move(doc)); }
  Field& numbers(std::string name, std::string doc) { return add(std::move(name), FieldType::kFloatArray, std::move(doc)); }
  Field& table(std::string name, std::string doc, TableSchema sub);
  Field& table_array(std::string name, std::string doc, TableSchema sub);
  Field& table_map(std::string name, std::string doc, TableSchema sub);

  void append(const Field& f) { fields_.push_back(f); }
  TableSchema& rule(TableRule r) { rules_.push_back(std::move(r)); return *this; }
  const std::vector<TableRule>& rules() const { return rules_; }
  const Field* find(std::string_view name) const;
  const std::vector<Field>& fields() const { return fields_; }
  // The valid key closest to `name` by edit distance, if close enough to be a likely typo.
  std::optional<std::string> closest(std::string_view name) const;

  // Indented description of every key (for `kvsim list scenarios --kinds` and docs).
  std::string describe(int indent = 0) const;

 private:
  Field& add(std::string name, FieldType type, std::string doc);
  std::vector<Field> fields_;
  std::vector<TableRule> rules_;
};

struct Diagnostic {
  std::string location;  // "file:line:col" (or the file alone when no position is known)
  std::string key;       // dotted path, e.g. "links.lan.bandwidth"
  std::string message;
  std::string str() const { return location + ": " + key + ": " + message; }
};

// Thrown for any bad scenario input; what() is every diagnostic, one per line.
class ScenarioError : public std::runtime_error {
 public:
  explicit ScenarioError(std::vector<Diagnostic> diags);
  const std::vector<Diagnostic>& diagnostics() const { return diags_; }

 private:
  std::vector<Diagnostic> diags_;
};

// "file:line:col" of a node, or `fallback` when it has no source (defaults, copies).
std::string location_of(const toml::source_region& src, std::string_view fallback);

std::size_t edit_distance(std::string_view a, std::string_view b);

// Checks `t` against `schema` recursively and inserts defaults. Returns all problems found.
std::vector<Diagnostic> validate_and_fill(toml::table& t, const TableSchema& schema,
                                          std::string_view fallback_location,
                                          std::string_view key_prefix = "");

}  // namespace kvsim::scenarios
