// scenarios/scenario.cpp — bases, overrides, sweep expansion, validation.
#include "scenarios/scenario.h"

#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

namespace kvsim::scenarios {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(std::string location, std::string key, std::string message) {
  throw ScenarioError({Diagnostic{std::move(location), std::move(key), std::move(message)}});
}

toml::table parse_file(const std::string& path) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    fail(location_of(e.source(), path), "(syntax)", std::string(e.description()));
  }
}

// Merges `over` into `base`, moving nodes so that their source positions survive.
void merge_into(toml::table& base, toml::table&& over) {
  for (auto it = over.begin(); it != over.end(); ++it) {
    toml::node& v = it->second;
    auto existing = base.find(it->first.str());
    if (existing != base.end() && existing->second.is_table() && v.is_table()) {
      merge_into(*existing->second.as_table(), std::move(*v.as_table()));
    } else {
      if (existing != base.end()) base.erase(existing);
      base.insert(it->first, std::move(v));
    }
  }
}

toml::table load_with_bases(const std::string& path, std::set<std::string>& chain,
                            const std::string& included_from) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (included_from.empty()) fail(path, "(file)", "no such scenario file");
    fail(included_from, "base", "base file '" + path + "' does not exist");
  }
  const std::string canonical = fs::weakly_canonical(path, ec).string();
  if (chain.count(canonical)) fail(included_from, "base", "base files form a cycle through '" + path + "'");
  chain.insert(canonical);

  toml::table tree = parse_file(path);
  if (auto* b = tree.get("base")) {
    const std::string where = location_of(b->source(), path);
    auto* s = b->as_string();
    if (!s) fail(where, "base", "wrong type: expected the path of a base scenario as a string");
    fs::path base_path = fs::path(s->get());
    if (base_path.is_relative()) base_path = fs::path(path).parent_path() / base_path;
    toml::table merged = load_with_bases(base_path.lexically_normal().string(), chain, where);
    tree.erase("base");
    merge_into(merged, std::move(tree));
    chain.erase(canonical);
    return merged;
  }
  chain.erase(canonical);
  return tree;
}

std::vector<std::string> split_dotted(std::string_view key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    parts.emplace_back(key.substr(start, dot == std::string_view::npos ? key.size() - start : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

// Places `value` at the dotted `key`, creating tables on the way. Keys carry `key_source` so that
// errors about them point at where they were written (a sweep entry, a --set argument).
void set_path(toml::table& root, std::string_view key, toml::node&& value,
              const toml::source_region& key_source, const std::string& where) {
  const auto parts = split_dotted(key);
  for (const auto& p : parts) {
    if (p.empty()) fail(where, std::string(key), "malformed key path (empty component)");
  }
  toml::table* t = &root;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    toml::node* n = t->get(parts[i]);
    if (!n) {
      t->insert(toml::key(parts[i], toml::source_region(key_source)), toml::table{});
      n = t->get(parts[i]);
    }
    if (!n->is_table()) {
      fail(where, std::string(key), "'" + parts[i] + "' is not a table, so it cannot hold '" +
                                        parts[i + 1] + "'");
    }
    t = n->as_table();
  }
  t->erase(parts.back());
  t->insert(toml::key(parts.back(), toml::source_region(key_source)), std::move(value));
}

struct SetArgument {
  std::string key;
  toml::table snippet;  // the value, under "v"
  toml::source_region source{};  // value-initialized: no line, no column
  std::string where;
};

SetArgument parse_set(const std::string& assignment) {
  SetArgument a;
  a.where = "--set " + assignment;
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) fail(a.where, assignment, "expected key.path=value");
  a.key = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  // A value that is valid TOML (42, 1.5, true, "x", [1, 2]) keeps its type; anything else, such
  // as an unquoted quantity (2 Gbit/s), is taken as a string.
  try {
    a.snippet = toml::parse("v = " + value, std::string_view(a.where));
  } catch (const toml::parse_error&) {
    a.snippet = toml::table{};
    a.snippet.insert("v", value);
  }
  a.source.path = std::make_shared<const std::string>(a.where);  // no line: errors name the --set argument
  return a;
}

void apply_set(toml::table& tree, SetArgument&& a) {
  set_path(tree, a.key, std::move(*a.snippet.get("v")), a.source, a.where);
}

std::string node_text(const toml::node& n) {
  std::ostringstream o;
  n.visit([&](const auto& v) { o << toml::toml_formatter(v, toml::format_flags::none); });
  std::string s = o.str();
  return s;
}

// A --set on a swept key narrows the sweep to that value: an independent axis becomes the one
// value (whether or not it was among the swept ones), a zip group keeps the entries where the key
// has that value (none is an error naming the values). Without this the sweep would overwrite
// the --set at every point, silently.
void narrow_sweep(toml::table& tree, const SetArgument& a) {
  toml::table* sweep = tree["sweep"].as_table();
  if (!sweep) return;
  const toml::node& value = *a.snippet.get("v");
  if (toml::node* axis = sweep->get(a.key); axis && a.key != "zip") {
    toml::array one;
    one.push_back(value);
    sweep->insert_or_assign(a.key, std::move(one));
    return;
  }
  toml::array* groups = sweep->get_as<toml::array>("zip");
  if (!groups) return;
  for (toml::node& g : *groups) {
    toml::table* group = g.as_table();
    toml::array* list = group ? group->get_as<toml::array>(a.key) : nullptr;
    if (!list) continue;
    const std::string wanted = node_text(value);
    std::vector<std::size_t> keep;
    std::string values;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string t = node_text(*list->get(i));
      values += (values.empty() ? "" : ", ") + t;
      if (t == wanted) keep.push_back(i);
    }
    if (keep.empty()) {
      fail(a.where, a.key, "'" + a.key + "' is swept in a [[sweep.zip]] group with the values [" + values +
                               "]: --set it to one of them to run those points, or edit the group");
    }
    for (auto&& [k, v] : *group) {
      toml::array* column = v.as_array();
      if (!column) continue;  // the loader reports it
      toml::array narrowed;
      for (std::size_t i : keep)
        if (i < column->size()) narrowed.push_back(*column->get(i));
      *column = std::move(narrowed);
    }
    return;
  }
}


struct Axis {
  std::vector<std::string> keys;  // one key, or every key of a zip group
  std::size_t length = 0;
  int zip_group = -1;             // index into [[sweep.zip]], or -1 for an independent axis
};

// Reads the sweep definition (without consuming it) and checks it.
std::vector<Axis> sweep_axes(const toml::table& sweep, const std::string& path) {
  std::vector<Axis> axes;
  std::set<std::string> seen;
  auto check_list = [&](const toml::node& n, const std::string& key) -> std::size_t {
    const std::string where = location_of(n.source(), path);
    auto* a = n.as_array();
    if (!a) fail(where, "sweep." + key, "bad sweep: expected a list of values to sweep over");
    if (a->empty()) fail(where, "sweep." + key, "bad sweep: the list of values is empty");
    if (key == "base" || key == "sweep" || key.rfind("sweep.", 0) == 0 || key == "kind")
      fail(where, "sweep." + key, "bad sweep: '" + key + "' cannot be swept");
    if (!seen.insert(key).second) fail(where, "sweep." + key, "bad sweep: key swept twice");
    return a->size();
  };
  for (auto&& [k, v] : sweep) {
    if (k.str() == "zip") continue;
    axes.push_back(Axis{{std::string(k.str())}, check_list(v, std::string(k.str()))});
  }
  if (auto* zip = sweep.get("zip")) {
    const std::string where = location_of(zip->source(), path);
    auto* groups = zip->as_array();
    if (!groups || !groups->is_array_of_tables())
      fail(where, "sweep.zip", "bad sweep: expected [[sweep.zip]] groups of keys that vary together");
    for (std::size_t g = 0; g < groups->size(); ++g) {
      const toml::table& grp = *groups->get(g)->as_table();
      Axis axis;
      axis.zip_group = static_cast<int>(g);
      for (auto&& [k, v] : grp) {
        const std::size_t n = check_list(v, std::string(k.str()));
        if (axis.keys.empty()) axis.length = n;
        else if (n != axis.length) {
          fail(location_of(v.source(), path), "sweep.zip." + std::string(k.str()),
               "bad sweep: zip group lists differ in length (" + std::to_string(n) + " vs " +
                   std::to_string(axis.length) + " for '" + axis.keys.front() + "')");
        }
        axis.keys.emplace_back(k.str());
      }
      if (axis.keys.empty()) fail(where, "sweep.zip", "bad sweep: empty zip group");
      axes.push_back(std::move(axis));
    }
  }
  return axes;
}

toml::node* sweep_list(toml::table& sweep, const Axis& axis, std::size_t key_index) {
  if (axis.zip_group < 0) return sweep.get(axis.keys[0]);
  return sweep.get("zip")->as_array()->get(static_cast<std::size_t>(axis.zip_group))->as_table()->get(
      axis.keys[key_index]);
}

// Validates the resolved tree against the common keys plus those of its kind. When the kind is
// missing or unknown, only that is reported: every other key would be "unknown" and bury it.
std::vector<Diagnostic> validate_point(toml::table& tree, const KindLookup& kinds, const std::string& path) {
  TableSchema full = common_schema(kinds.kinds);
  const toml::node* kind_node = tree.get("kind");
  const TableSchema* ks = kind_node && kind_node->is_string() ? kinds.schema(kind_node->as_string()->get()) : nullptr;
  if (!ks) {
    toml::table only_kind;
    if (auto* k = tree.get("kind")) only_kind.insert("kind", std::move(*k));
    TableSchema kind_schema;
    kind_schema.append(*full.find("kind"));
    auto diags = validate_and_fill(only_kind, kind_schema, path);
    if (diags.empty()) diags.push_back(Diagnostic{path, "kind", "no schema registered for this kind"});
    return diags;
  }
  for (const Field& f : ks->fields()) full.append(f);
  for (const TableRule& r : ks->rules()) full.rule(r);  // a kind's rules over its whole point, after its fields
  return validate_and_fill(tree, full, path);
}

}  // namespace

TableSchema common_schema(const std::vector<std::string>& kinds) {
  TableSchema s;
  s.string("kind", "what this scenario simulates").required().choices(kinds);
  s.string("name", "a short name for the run (default: the file's stem)");
  s.string("table", "the reproduction table this scenario's rows belong to (default: the file's stem)").defaults("");
  s.string("description", "free text").defaults("");
  s.integer("seed", "seed of every random stream of the run").defaults(1).min(0);
  return s;
}

toml::table load_tree(const std::string& path, const std::vector<std::string>& sets) {
  std::set<std::string> chain;
  toml::table tree = load_with_bases(path, chain, "");
  for (const auto& s : sets) {
    SetArgument a = parse_set(s);
    narrow_sweep(tree, a);  // before apply_set, which moves the value into the tree
    apply_set(tree, std::move(a));
  }
  return tree;
}

std::vector<ScenarioPoint> resolve(const std::string& path, const std::vector<std::string>& sets,
                                   const KindLookup& kinds) {
  // Pass 1: the sweep's shape.
  std::vector<Axis> axes;
  std::size_t total = 1;
  {
    toml::table probe = load_tree(path, sets);
    if (auto* sw = probe.get("sweep")) {
      if (!sw->is_table()) fail(location_of(sw->source(), path), "sweep", "bad sweep: expected a table [sweep]");
      axes = sweep_axes(*sw->as_table(), path);
      for (const Axis& a : axes) total *= a.length;
      if (total > 1'000'000) fail(location_of(sw->source(), path), "sweep", "bad sweep: more than a million points");
    }
  }

  // Pass 2: each point from a fresh tree, so that every value keeps its file position.
  std::vector<ScenarioPoint> points;
  points.reserve(total);
  std::vector<Diagnostic> problems;
  for (std::size_t index = 0; index < total; ++index) {
    ScenarioPoint pt;
    pt.file = path;
    pt.index = index;
    pt.tree = load_tree(path, sets);
    if (!axes.empty()) {
      toml::node* sw_node = pt.tree.get("sweep");
      toml::table sweep = std::move(*sw_node->as_table());
      pt.tree.erase("sweep");
      // Mixed radix, last axis fastest.
      std::size_t rest = index;
      std::vector<std::size_t> pick(axes.size());
      for (std::size_t a = axes.size(); a-- > 0;) { pick[a] = rest % axes[a].length; rest /= axes[a].length; }
      for (std::size_t a = 0; a < axes.size(); ++a) {
        for (std::size_t k = 0; k < axes[a].keys.size(); ++k) {
          toml::node* list = sweep_list(sweep, axes[a], k);
          toml::node& value = *list->as_array()->get(pick[a]);
          pt.assignments.emplace_back(axes[a].keys[k], node_text(value));
          // The key's source: the sweep entry that named it.
          toml::source_region key_src = value.source();
          const std::string where = location_of(key_src, path);
          set_path(pt.tree, axes[a].keys[k], std::move(value), key_src, where);
        }
      }
    }
    if (!pt.tree.contains("name")) pt.tree.insert("name", fs::path(path).stem().string());

    auto diags = validate_point(pt.tree, kinds, path);
    if (!diags.empty()) {
      for (auto& d : diags) {
        if (!pt.assignments.empty()) d.message += " [sweep point " + std::to_string(index) + ": " + pt.label() + "]";
        problems.push_back(std::move(d));
      }
      // The same mistake repeats at every point; stop at the first bad one.
      break;
    }
    points.push_back(std::move(pt));
  }
  if (!problems.empty()) throw ScenarioError(std::move(problems));
  return points;
}

std::string ScenarioPoint::text() const {
  std::ostringstream o;
  o << toml::toml_formatter(tree);
  o << '\n';
  return o.str();
}

std::string ScenarioPoint::hash() const {
  const std::string t = text();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(t.data(), t.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) { out += hex[md[i] >> 4]; out += hex[md[i] & 15]; }
  return out;
}

std::string ScenarioPoint::label() const {
  std::string s;
  for (const auto& [k, v] : assignments) s += (s.empty() ? "" : ", ") + k + "=" + v;
  return s;
}

namespace {
const toml::node& at_path(const toml::table& t, std::string_view dotted) {
  const toml::node* n = &t;
  for (const auto& part : split_dotted(dotted)) {
    const toml::table* tt = n->as_table();
    n = tt ? tt->get(part) : nullptr;
    if (!n) throw std::logic_error("scenario key '" + std::string(dotted) + "' missing after validation");
  }
  return *n;
}
[[noreturn]] void bad_type(std::string_view k, const char* what) {
  throw std::logic_error("scenario key '" + std::string(k) + "' is not a " + what + " after validation");
}
}  // namespace

std::string get_string(const toml::table& t, std::string_view k) {
  if (auto* s = at_path(t, k).as_string()) return s->get();
  bad_type(k, "string");
}
std::int64_t get_integer(const toml::table& t, std::string_view k) {
  if (auto* i = at_path(t, k).as_integer()) return i->get();
  bad_type(k, "integer");
}
double get_number(const toml::table& t, std::string_view k) {
  const toml::node& n = at_path(t, k);
  if (auto* d = n.as_floating_point()) return d->get();
  if (auto* i = n.as_integer()) return static_cast<double>(i->get());
  bad_type(k, "number");
}
bool get_bool(const toml::table& t, std::string_view k) {
  if (auto* b = at_path(t, k).as_boolean()) return b->get();
  bad_type(k, "boolean");
}
double get_quantity(const toml::table& t, std::string_view k, Dimension dim) {
  return parse_quantity_as(get_string(t, k), dim);
}
const toml::table& get_table(const toml::table& t, std::string_view k) {
  if (auto* tt = at_path(t, k).as_table()) return *tt;
  bad_type(k, "table");
}

}  // namespace kvsim::scenarios
