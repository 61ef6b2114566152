// scenarios/schema.cpp — strict validation with suggestions.
#include "scenarios/schema.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

namespace kvsim::scenarios {

std::string_view field_type_name(FieldType t) {
  switch (t) {
    case FieldType::kString: return "string";
    case FieldType::kInteger: return "integer";
    case FieldType::kFloat: return "number";
    case FieldType::kBool: return "boolean";
    case FieldType::kQuantity: return "quantity";
    case FieldType::kStringArray: return "list of strings";
    case FieldType::kFloatArray: return "list of numbers";
    case FieldType::kTable: return "table";
    case FieldType::kTableArray: return "array of tables";
    case FieldType::kTableMap: return "table of named tables";
  }
  return "?";
}

Field& TableSchema::add(std::string name, FieldType type, std::string doc) {
  fields_.push_back(Field{});
  Field& f = fields_.back();
  f.name = std::move(name);
  f.type = type;
  f.doc = std::move(doc);
  return f;
}

Field& TableSchema::quantity(std::string name, Dimension dim, std::string doc) {
  Field& f = add(std::move(name), FieldType::kQuantity, std::move(doc));
  f.dim = dim;
  return f;
}

Field& TableSchema::table(std::string name, std::string doc, TableSchema sub) {
  Field& f = add(std::move(name), FieldType::kTable, std::move(doc));
  f.sub = std::make_shared<TableSchema>(std::move(sub));
  return f;
}
Field& TableSchema::table_array(std::string name, std::string doc, TableSchema sub) {
  Field& f = add(std::move(name), FieldType::kTableArray, std::move(doc));
  f.sub = std::make_shared<TableSchema>(std::move(sub));
  return f;
}
Field& TableSchema::table_map(std::string name, std::string doc, TableSchema sub) {
  Field& f = add(std::move(name), FieldType::kTableMap, std::move(doc));
  f.sub = std::make_shared<TableSchema>(std::move(sub));
  return f;
}

const Field* TableSchema::find(std::string_view name) const {
  for (const Field& f : fields_) if (f.name == name) return &f;
  return nullptr;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const auto ca = std::tolower(static_cast<unsigned char>(a[i - 1]));
      const auto cb = std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca == cb ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> TableSchema::closest(std::string_view name) const {
  const Field* best = nullptr;
  std::size_t best_d = SIZE_MAX;
  for (const Field& f : fields_) {
    const std::size_t d = edit_distance(name, f.name);
    if (d < best_d) { best_d = d; best = &f; }
  }
  // A likely typo: at most a third of the longer name changed (and at least 2 edits allowed).
  if (best && best_d <= std::max<std::size_t>(2, std::max(name.size(), best->name.size()) / 3)) {
    return best->name;
  }
  return std::nullopt;
}

std::string TableSchema::describe(int indent) const {
  std::ostringstream out;
  const std::string pad(indent, ' ');
  for (const Field& f : fields_) {
    out << pad << f.name << " (" << field_type_name(f.type);
    if (f.type == FieldType::kQuantity) out << ", " << dimension_name(f.dim);
    if (f.is_required) out << ", required";
    std::visit([&](const auto& v) {
      using V = std::decay_t<decltype(v)>;
      if constexpr (std::is_same_v<V, std::string>) out << ", default \"" << v << '"';
      else if constexpr (std::is_same_v<V, bool>) out << ", default " << (v ? "true" : "false");
      else if constexpr (!std::is_same_v<V, std::monostate>) out << ", default " << v;
    }, f.default_value);
    if (!f.allowed.empty()) {
      out << ", one of:";
      for (const auto& c : f.allowed) out << ' ' << c;
    }
    out << "): " << f.doc << '\n';
    if (f.sub) out << f.sub->describe(indent + 2);
  }
  return out.str();
}

ScenarioError::ScenarioError(std::vector<Diagnostic> diags)
    : std::runtime_error([&] {
        std::string s;
        for (const auto& d : diags) s += (s.empty() ? "" : "\n") + d.str();
        return s;
      }()),
      diags_(std::move(diags)) {}

std::string location_of(const toml::source_region& src, std::string_view fallback) {
  if (!src.path && src.begin.line == 0) return std::string(fallback);
  std::string file = src.path ? *src.path : std::string(fallback);
  if (src.begin.line == 0) return file;
  return file + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

namespace {

std::string join_key(std::string_view prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
}

std::string fmt_number(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

struct Checker {
  std::vector<Diagnostic>& out;
  std::string_view fallback;

  void add(const toml::source_region& src, const std::string& key, std::string msg) {
    out.push_back(Diagnostic{location_of(src, fallback), key, std::move(msg)});
  }

  void check_range(const Field& f, double v, const toml::node& n, const std::string& key,
                   const std::string& shown) {
    if (f.min_value) {
      const bool bad = f.min_is_exclusive ? !(v > *f.min_value) : !(v >= *f.min_value);
      if (bad) {
        std::string bound = f.type == FieldType::kQuantity ? pretty_quantity({*f.min_value, f.dim})
                                                             : fmt_number(*f.min_value);
        add(n.source(), key, "value " + shown + " out of range: must be " +
                                 (f.min_is_exclusive ? "greater than " : "at least ") + bound);
        return;
      }
    }
    if (f.max_value && v > *f.max_value) {
      std::string bound = f.type == FieldType::kQuantity ? pretty_quantity({*f.max_value, f.dim})
                                                           : fmt_number(*f.max_value);
      add(n.source(), key, "value " + shown + " out of range: must be at most " + bound);
    }
  }

  void wrong_type(const Field& f, const toml::node& n, const std::string& key) {
    std::string expected(field_type_name(f.type));
    if (f.type == FieldType::kQuantity) {
      expected = "quantity string with a unit, a " + std::string(dimension_name(f.dim)) + " such as " +
                 std::string(dimension_example(f.dim));
      if (n.is_number()) {
        add(n.source(), key, "a number without a unit; expected a " + expected);
        return;
      }
    }
    std::ostringstream got;
    got << n.type();
    add(n.source(), key, "wrong type: expected " + expected + ", got " + got.str());
  }

  void check_field(const Field& f, toml::node& n, const std::string& key) {
    switch (f.type) {
      case FieldType::kString: {
        auto* s = n.as_string();
        if (!s) return wrong_type(f, n, key);
        if (!f.allowed.empty() &&
            std::find(f.allowed.begin(), f.allowed.end(), s->get()) == f.allowed.end()) {
          std::string list;
          for (const auto& c : f.allowed) list += (list.empty() ? "" : ", ") + c;
          std::string msg = "'" + s->get() + "' is not one of: " + list;
          std::size_t best = SIZE_MAX;
          std::string best_name;
          for (const auto& c : f.allowed) {
            const auto d = edit_distance(s->get(), c);
            if (d < best) { best = d; best_name = c; }
          }
          if (best <= std::max<std::size_t>(2, best_name.size() / 3)) msg += "; did you mean '" + best_name + "'?";
          add(n.source(), key, msg);
        }
        return;
      }
      case FieldType::kInteger: {
        auto* i = n.as_integer();
        if (!i) return wrong_type(f, n, key);
        check_range(f, static_cast<double>(i->get()), n, key, std::to_string(i->get()));
        return;
      }
      case FieldType::kFloat: {
        double v;
        if (auto* d = n.as_floating_point()) v = d->get();
        else if (auto* i = n.as_integer()) v = static_cast<double>(i->get());
        else return wrong_type(f, n, key);
        check_range(f, v, n, key, fmt_number(v));
        return;
      }
      case FieldType::kBool:
        if (!n.is_boolean()) wrong_type(f, n, key);
        return;
      case FieldType::kQuantity: {
        auto* s = n.as_string();
        if (!s) return wrong_type(f, n, key);
        try {
          const double v = parse_quantity_as(s->get(), f.dim);
          check_range(f, v, n, key, "\"" + s->get() + "\"");
        } catch (const UnitError& e) {
          add(n.source(), key, std::string("bad unit: ") + e.what());
        }
        return;
      }
      case FieldType::kStringArray:
      case FieldType::kFloatArray: {
        auto* a = n.as_array();
        if (!a) return wrong_type(f, n, key);
        for (std::size_t i = 0; i < a->size(); ++i) {
          toml::node& e = *a->get(i);
          const bool ok = f.type == FieldType::kStringArray ? e.is_string() : e.is_number();
          if (!ok) add(e.source(), key + "[" + std::to_string(i) + "]",
                       "wrong type: expected " + std::string(field_type_name(f.type)) + " elements");
        }
        if (f.min_value && static_cast<double>(a->size()) < *f.min_value)
          add(n.source(), key, "needs at least " + fmt_number(*f.min_value) + " elements");
        if (f.max_value && static_cast<double>(a->size()) > *f.max_value)
          add(n.source(), key, "allows at most " + fmt_number(*f.max_value) + " elements");
        return;
      }
      case FieldType::kTable: {
        auto* t = n.as_table();
        if (!t) return wrong_type(f, n, key);
        check_table(*t, *f.sub, key);
        return;
      }
      case FieldType::kTableArray: {
        auto* a = n.as_array();
        if (!a || !a->is_array_of_tables()) return wrong_type(f, n, key);
        for (std::size_t i = 0; i < a->size(); ++i)
          check_table(*a->get(i)->as_table(), *f.sub, key + "[" + std::to_string(i) + "]");
        if (f.min_value && static_cast<double>(a->size()) < *f.min_value)
          add(n.source(), key, "needs at least " + fmt_number(*f.min_value) + " entries");
        return;
      }
      case FieldType::kTableMap: {
        auto* t = n.as_table();
        if (!t) return wrong_type(f, n, key);
        for (auto&& [k, v] : *t) {
          if (auto* sub = v.as_table()) check_table(*sub, *f.sub, join_key(key, k.str()));
          else add(v.source(), join_key(key, k.str()), "wrong type: expected a table");
        }
        if (f.min_value && static_cast<double>(t->size()) < *f.min_value)
          add(n.source(), key, "needs at least " + fmt_number(*f.min_value) + " entries");
        return;
      }
    }
  }

  void check_table(toml::table& t, const TableSchema& schema, const std::string& prefix) {
    for (auto&& [k, v] : t) {
      const std::string key = join_key(prefix, k.str());
      const Field* f = schema.find(k.str());
      if (!f) {
        std::string msg = "unknown key";
        if (auto best = schema.closest(k.str())) msg += "; did you mean '" + *best + "'?";
        else {
          std::string list;
          for (const Field& g : schema.fields()) list += (list.empty() ? "" : ", ") + g.name;
          msg += " (valid keys here: " + list + ")";
        }
        add(k.source(), key, msg);
        continue;
      }
      check_field(*f, v, key);
    }
    for (const Field& f : schema.fields()) {
      if (t.contains(f.name)) continue;
      if (f.is_required) {
        add(t.source(), join_key(prefix, f.name), "required key is missing (" + f.doc + ")");
        continue;
      }
      std::visit([&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (!std::is_same_v<V, std::monostate>) t.insert(f.name, v);
      }, f.default_value);
      if (f.type == FieldType::kTable && std::holds_alternative<std::monostate>(f.default_value)) {
        // An omitted table still gets its sub-defaults, so the resolved scenario is complete.
        toml::table sub;
        std::vector<Diagnostic> ignored_missing;
        Checker inner{ignored_missing, fallback};
        inner.check_table(sub, *f.sub, join_key(prefix, f.name));
        for (auto& d : ignored_missing) out.push_back(std::move(d));
        t.insert(f.name, std::move(sub));
      }
    }
    for (const TableRule& rule : schema.rules()) rule(t, prefix, fallback, out);
  }
};

}  // namespace

std::vector<Diagnostic> validate_and_fill(toml::table& t, const TableSchema& schema,
                                          std::string_view fallback_location, std::string_view key_prefix) {
  std::vector<Diagnostic> out;
  Checker c{out, fallback_location};
  c.check_table(t, schema, std::string(key_prefix));
  return out;
}

}  // namespace kvsim::scenarios
