// tests/scenarios/binder_test.cpp — a typed config bound to its schema: defaults come from the
// members, the values read are the file's, and bad input gives file:line:col: key: errors.
#include <gtest/gtest.h>

#include <string>

#include "scenarios/binder.h"

namespace kvsim::scenarios {
namespace {

struct Method {
  std::string name;
  int budget = 64;
};

struct Toy {
  std::string mode = "fast";
  std::int64_t rounds = 3;
  double ratio = 0.5;
  bool trace = false;
  std::vector<std::string> tags;
  Method first;
  std::vector<Method> methods;
};

Binder<Toy> toy_binder() {
  Binder<Method> method;
  method.bind("name", &Method::name, "the method").required();
  method.bind("budget", &Method::budget, "tokens").min(1);
  Binder<Toy> b;
  b.bind("mode", &Toy::mode, "a mode").choices({"fast", "slow"});
  b.bind("rounds", &Toy::rounds, "rounds").min(1).max(100);
  b.bind("ratio", &Toy::ratio, "a ratio").min(0).max(1);
  b.bind("trace", &Toy::trace, "trace it");
  b.bind("tags", &Toy::tags, "labels");
  b.table("first", &Toy::first, "the first method", method).required();
  b.table_array("method", &Toy::methods, "more methods", method);
  return b;
}

// Validates `text` (as file "toy.toml") and returns the diagnostics, one per line.
std::string errors(const Binder<Toy>& b, const std::string& text, toml::table* out = nullptr) {
  toml::table t = toml::parse(std::string_view(text), std::string_view("toy.toml"));
  std::string all;
  for (const Diagnostic& d : validate_and_fill(t, b.schema(), "toy.toml")) all += d.str() + "\n";
  if (out) *out = std::move(t);
  return all;
}

TEST(Binder, DefaultsComeFromTheMembersAndValuesFromTheFile) {
  const Binder<Toy> b = toy_binder();
  toml::table t;
  ASSERT_EQ(errors(b, "rounds = 7\ntags = [\"a\", \"b\"]\n[first]\nname = \"x\"\n[[method]]\nname = \"y\"\nbudget = 9\n", &t), "");
  // The resolved table states every default.
  EXPECT_EQ(t["mode"].value<std::string>(), "fast");
  EXPECT_EQ(t["ratio"].value<double>(), 0.5);
  EXPECT_EQ(t["first"]["budget"].value<std::int64_t>(), 64);
  const Toy c = b.read(t);
  EXPECT_EQ(c.mode, "fast");
  EXPECT_EQ(c.rounds, 7);
  EXPECT_EQ(c.ratio, 0.5);
  EXPECT_FALSE(c.trace);
  EXPECT_EQ(c.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.first.name, "x");
  EXPECT_EQ(c.first.budget, 64);
  ASSERT_EQ(c.methods.size(), 1u);
  EXPECT_EQ(c.methods[0].name, "y");
  EXPECT_EQ(c.methods[0].budget, 9);
}

TEST(Binder, UnknownKeyWrongTypeAndOutOfRangeNameFileLineColumnAndKey) {
  const Binder<Toy> b = toy_binder();
  const std::string unknown = errors(b, "[first]\nname = \"x\"\nbudgte = 3\n");
  EXPECT_NE(unknown.find("toy.toml:3:1: first.budgte: unknown key; did you mean 'budget'?"), std::string::npos) << unknown;
  const std::string type = errors(b, "rounds = \"many\"\n[first]\nname = \"x\"\n");
  EXPECT_NE(type.find("toy.toml:1:10: rounds: wrong type"), std::string::npos) << type;
  const std::string range = errors(b, "ratio = 1.5\n[first]\nname = \"x\"\n[[method]]\nname = \"y\"\nbudget = 0\n");
  EXPECT_NE(range.find("toy.toml:1:9: ratio:"), std::string::npos) << range;
  EXPECT_NE(range.find("toy.toml:6:10: method[0].budget:"), std::string::npos) << range;
  const std::string choice = errors(b, "mode = \"medium\"\n[first]\nname = \"x\"\n");
  EXPECT_NE(choice.find("toy.toml:1:8: mode:"), std::string::npos) << choice;
  // A required key has no default: leaving it out is an error naming it.
  const std::string missing = errors(b, "[first]\nbudget = 3\n");
  EXPECT_NE(missing.find("first.name: required key is missing"), std::string::npos) << missing;
}

}  // namespace
}  // namespace kvsim::scenarios
