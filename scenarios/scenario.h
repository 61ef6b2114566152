// scenarios/scenario.h — from a scenario file to fully resolved, validated run descriptions.
//
// Contract:
// - load_tree() reads a file, follows `base = "other.toml"` (relative to the including file,
//   recursively, cycles rejected), deep-merges (tables merge key by key; any other value in the
//   derived file replaces the base's), then applies `--set key.path=value` overrides in order. A
//   --set on a swept key also narrows the sweep: an independent axis to that one value, a
//   [[sweep.zip]] group to its entries with that value (none: a ScenarioError listing them).
// - resolve() expands `[sweep]` (cartesian product of independent axes; every `[[sweep.zip]]`
//   group varies together) and returns one ScenarioPoint per combination, each validated against
//   the schema of its `kind` with defaults filled in. Every problem is reported through
//   ScenarioError as "file:line:col: key: message"; nothing runs on a scenario with an error.
// - A ScenarioPoint's text() is complete TOML: running it alone reproduces the point exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "scenarios/schema.h"

namespace kvsim::scenarios {

// Keys every scenario has, whatever its kind.
TableSchema common_schema(const std::vector<std::string>& kinds);

struct KindLookup {
  std::vector<std::string> kinds;                                       // names, for choices
  std::function<const TableSchema*(std::string_view kind)> schema;      // kind-specific keys
};

struct ScenarioPoint {
  std::string file;                                          // the scenario file
  std::size_t index = 0;                                     // position in the sweep (0 if none)
  std::vector<std::pair<std::string, std::string>> assignments;  // sweep key -> TOML value text
  toml::table tree;                                          // resolved and validated

  std::string kind() const { return tree["kind"].value_or(std::string()); }
  std::uint64_t seed() const { return static_cast<std::uint64_t>(tree["seed"].value_or<std::int64_t>(0)); }
  std::string name() const { return tree["name"].value_or(std::string()); }
  std::string text() const;   // resolved TOML
  std::string hash() const;   // SHA-256 of text(), hex
  std::string label() const;  // "a.b=1, c=\"x\"" or "" without a sweep
};

toml::table load_tree(const std::string& path, const std::vector<std::string>& sets = {});

std::vector<ScenarioPoint> resolve(const std::string& path, const std::vector<std::string>& sets,
                                   const KindLookup& kinds);

// Typed access to a validated tree (a missing or mistyped key is a programming error there and
// throws std::logic_error naming the key).
std::string get_string(const toml::table& t, std::string_view dotted);
std::int64_t get_integer(const toml::table& t, std::string_view dotted);
double get_number(const toml::table& t, std::string_view dotted);
bool get_bool(const toml::table& t, std::string_view dotted);
double get_quantity(const toml::table& t, std::string_view dotted, Dimension dim);
const toml::table& get_table(const toml::table& t, std::string_view dotted);

}  // namespace kvsim::scenarios
