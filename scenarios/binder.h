// scenarios/binder.h — a kind's typed configuration bound to its schema, one statement per key.
//
// Contract:
// - Binder<C> builds a TableSchema and reads a table validated against it into a C.
//   bind(key, &C::member, doc) declares a key whose type follows the member's (std::string,
//   bool, int / std::int64_t, double, std::vector<std::string>, std::vector<double>) and whose
//   default is the member's value in a value-initialized C; `.required()` on the returned Field
//   drops the default, `.min() .max() .choices()` constrain it as for any Field.
// - table(key, &C::sub, doc, binder) binds a [key] table to a member struct with its own binder
//   (an omitted table gets its defaults); table_array(key, &C::list, doc, binder) binds [[key]];
//   table_map(key, &C::map, doc, binder) binds user-named [key.<name>] tables.
// - quantity(key, &C::member, dim, "60 s", doc) binds a quantity with a unit, read in SI units;
//   self(&C::table) keeps a pointer to the table itself; schema() may be extended by hand.
// - schema_only(key, doc, schema) declares a table read by other means (a deployment), so the
//   schema still lists it.
// - read() expects a table that validate_and_fill() accepted: every bound key is present, so the
//   schema, the resolved scenario, its hash and the config all come from the same statements.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "scenarios/scenario.h"
#include "scenarios/schema.h"

namespace kvsim::scenarios {

template <class C>
class Binder {
 public:
  template <class T>
  Field& bind(std::string key, T C::*member, std::string doc) {
    Field& f = add_scalar<T>(key, std::move(doc), C{}.*member);
    readers_.push_back([key, member](const toml::table& t, C& c) { c.*member = read_value<T>(t, key); });
    return f;
  }

  template <class S>
  Field& table(std::string key, S C::*member, std::string doc, const Binder<S>& sub) {
    Field& f = schema_.table(key, std::move(doc), sub.schema());
    readers_.push_back([key, member, sub](const toml::table& t, C& c) { c.*member = sub.read(*t[key].as_table()); });
    return f;
  }

  template <class S>
  Field& table_array(std::string key, std::vector<S> C::*member, std::string doc, const Binder<S>& sub) {
    Field& f = schema_.table_array(key, std::move(doc), sub.schema());
    readers_.push_back([key, member, sub](const toml::table& t, C& c) {
      (c.*member).clear();
      if (const toml::array* a = t[key].as_array())
        for (const toml::node& e : *a) (c.*member).push_back(sub.read(*e.as_table()));
    });
    return f;
  }

  // A quantity with a unit (e.g. "60 s"), read in the dimension's SI base unit; an empty default
  // text declares none (then say .required()).
  Field& quantity(std::string key, double C::*member, Dimension dim, std::string default_text, std::string doc) {
    Field& f = schema_.quantity(key, dim, std::move(doc));
    if (!default_text.empty()) f.defaults(default_text);
    readers_.push_back([key, member, dim](const toml::table& t, C& c) { c.*member = get_quantity(t, key, dim); });
    return f;
  }
  // An optional quantity without a default: empty when the scenario leaves it out.
  Field& quantity(std::string key, std::optional<double> C::*member, Dimension dim, std::string doc) {
    Field& f = schema_.quantity(key, dim, std::move(doc));
    readers_.push_back([key, member, dim](const toml::table& t, C& c) {
      c.*member = t.contains(key) ? std::optional<double>(get_quantity(t, key, dim)) : std::nullopt;
    });
    return f;
  }

  // [key.<name>] tables, user-named, each with the sub-binder; read in name order.
  template <class S>
  Field& table_map(std::string key, std::map<std::string, S> C::*member, std::string doc, const Binder<S>& sub) {
    Field& f = schema_.table_map(key, std::move(doc), sub.schema());
    readers_.push_back([key, member, sub](const toml::table& t, C& c) {
      (c.*member).clear();
      if (const toml::table* m = t[key].as_table())
        for (auto&& [name, node] : *m) (c.*member).emplace(std::string(name.str()), sub.read(*node.as_table()));
    });
    return f;
  }

  // Keeps a pointer to the table being read, for a kind that also reads it by other means (a
  // deployment entry of an array); it lives as long as the scenario point.
  void self(const toml::table* C::*member) {
    readers_.push_back([member](const toml::table& t, C& c) { c.*member = &t; });
  }

  Field& schema_only(std::string key, std::string doc, TableSchema sub) {
    return schema_.table(std::move(key), std::move(doc), std::move(sub));
  }

  TableSchema& schema() { return schema_; }
  const TableSchema& schema() const { return schema_; }

  C read(const toml::table& t) const {
    C c{};
    for (const auto& r : readers_) r(t, c);
    return c;
  }

 private:
  template <class T>
  Field& add_scalar(const std::string& key, std::string doc, const T& def) {
    if constexpr (std::is_same_v<T, std::string>) return schema_.string(key, std::move(doc)).defaults(def);
    else if constexpr (std::is_same_v<T, bool>) return schema_.boolean(key, std::move(doc)).defaults(def);
    else if constexpr (std::is_integral_v<T>) return schema_.integer(key, std::move(doc)).defaults(static_cast<std::int64_t>(def));
    else if constexpr (std::is_floating_point_v<T>) return schema_.number(key, std::move(doc)).defaults(static_cast<double>(def));
    else if constexpr (std::is_same_v<T, std::vector<std::string>>) return schema_.strings(key, std::move(doc));
    else if constexpr (std::is_same_v<T, std::vector<double>>) return schema_.numbers(key, std::move(doc));
    else static_assert(sizeof(T) == 0, "Binder::bind: unsupported member type");
  }

  template <class T>
  static T read_value(const toml::table& t, const std::string& key) {
    const toml::node_view<const toml::node> n = t[key];
    if constexpr (std::is_same_v<T, std::string>) return n.value_or(std::string());
    else if constexpr (std::is_same_v<T, bool>) return n.value_or(false);
    else if constexpr (std::is_integral_v<T>) return static_cast<T>(n.value_or<std::int64_t>(0));
    else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(n.value_or(0.0));
    else {
      T out;
      if (const toml::array* a = n.as_array())
        for (const toml::node& e : *a) out.push_back(e.value_or(typename T::value_type{}));
      return out;
    }
  }

  TableSchema schema_;
  std::vector<std::function<void(const toml::table&, C&)>> readers_;
};

}  // namespace kvsim::scenarios
