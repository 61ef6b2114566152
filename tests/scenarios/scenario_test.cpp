// tests/scenarios/scenario_test.cpp — strict validation, bases, --set, sweeps: every error path
// checks its message, with file, line and column.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "scenarios/scenario.h"

namespace kvsim::scenarios {
namespace {

namespace fs = std::filesystem;

class ScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("kvsim_scn_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    TableSchema link;
    link.quantity("bandwidth", Dimension::kBandwidth, "bandwidth").required().min(0, true);
    link.quantity("latency", Dimension::kTime, "one-way latency").defaults("0 s").min(0);
    TableSchema run;
    run.integer("rounds", "rounds").defaults(3).min(1).max(100);
    run.number("ratio", "a ratio").defaults(0.5).min(0).max(1);
    run.string("mode", "a mode").defaults("fast").choices({"fast", "slow"});
    toy_.table_map("links", "links", link).required();
    toy_.table("run", "run", run);
    lookup_ = KindLookup{{"toy"}, [this](std::string_view k) -> const TableSchema* { return k == "toy" ? &toy_ : nullptr; }};
  }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  // The error text of resolving `path`, or "" if it resolved.
  std::string error_of(const std::string& path, const std::vector<std::string>& sets = {}) {
    try {
      resolve(path, sets, lookup_);
    } catch (const ScenarioError& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
  TableSchema toy_;
  KindLookup lookup_;
};

const char* kGood = "kind = \"toy\"\n[links.lan]\nbandwidth = \"1 Gbit/s\"\nlatency = \"0.25 ms\"\n";

TEST_F(ScenarioTest, ValidScenarioResolvesWithDefaultsFilledIn) {
  const auto pts = resolve(write("good.toml", kGood), {}, lookup_);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(get_integer(pts[0].tree, "run.rounds"), 3);
  EXPECT_EQ(get_string(pts[0].tree, "run.mode"), "fast");
  EXPECT_EQ(get_integer(pts[0].tree, "seed"), 1);
  EXPECT_EQ(pts[0].name(), "good");
  EXPECT_DOUBLE_EQ(get_quantity(pts[0].tree, "links.lan.bandwidth", Dimension::kBandwidth), 125e6);
  const std::string text = pts[0].text();
  EXPECT_NE(text.find("rounds = 3"), std::string::npos) << text;
  EXPECT_EQ(pts[0].hash().size(), 64u);
}

TEST_F(ScenarioTest, ResolvedTextIsAScenarioThatResolvesToItself) {
  const auto pts = resolve(write("good.toml", kGood), {"run.rounds=7"}, lookup_);
  const auto again = resolve(write("resolved.toml", pts[0].text()), {}, lookup_);
  EXPECT_EQ(again[0].text(), pts[0].text());
  EXPECT_EQ(again[0].hash(), pts[0].hash());
}

TEST_F(ScenarioTest, UnknownKeySuggestsTheClosest) {
  const auto p = write("typo.toml", "kind = \"toy\"\n[links.lan]\nbandwith = \"1 Gbit/s\"\n");
  const std::string err = error_of(p);
  EXPECT_NE(err.find(p + ":3:1: links.lan.bandwith: unknown key; did you mean 'bandwidth'?"), std::string::npos) << err;
  // The required key is missing too: every problem is reported, not just the first.
  EXPECT_NE(err.find("links.lan.bandwidth: required key is missing"), std::string::npos) << err;
}

TEST_F(ScenarioTest, UnknownKeyWithoutACloseMatchListsTheValidOnes) {
  const auto p = write("far.toml", std::string(kGood) + "[run]\nzzzzzzzz = 1\n");
  EXPECT_NE(error_of(p).find("unknown key (valid keys here: rounds, ratio, mode)"), std::string::npos) << error_of(p);
}

TEST_F(ScenarioTest, WrongTypeNamesExpectedAndActual) {
  const auto p = write("type.toml", std::string(kGood) + "[run]\nrounds = \"three\"\n");
  EXPECT_NE(error_of(p).find(p + ":6:10: run.rounds: wrong type: expected integer, got string"), std::string::npos)
      << error_of(p);
}

TEST_F(ScenarioTest, OutOfRangeValue) {
  const auto p = write("range.toml", std::string(kGood) + "[run]\nratio = 1.5\n");
  EXPECT_NE(error_of(p).find("run.ratio: value 1.5 out of range: must be at most 1"), std::string::npos) << error_of(p);
}

TEST_F(ScenarioTest, BadChoiceSuggests) {
  const auto p = write("choice.toml", std::string(kGood) + "[run]\nmode = \"slwo\"\n");
  EXPECT_NE(error_of(p).find("'slwo' is not one of: fast, slow; did you mean 'slow'?"), std::string::npos) << error_of(p);
}

TEST_F(ScenarioTest, BadUnitAndMissingUnit) {
  const auto p1 = write("unit.toml", "kind = \"toy\"\n[links.lan]\nbandwidth = \"1 Gb/s\"\n");
  EXPECT_NE(error_of(p1).find(p1 + ":3:13: links.lan.bandwidth: bad unit:"), std::string::npos) << error_of(p1);
  const auto p2 = write("bare.toml", "kind = \"toy\"\n[links.lan]\nbandwidth = 1000\n");
  EXPECT_NE(error_of(p2).find("links.lan.bandwidth: a number without a unit; expected a quantity string with a unit, a bandwidth"),
            std::string::npos) << error_of(p2);
  const auto p3 = write("dim.toml", "kind = \"toy\"\n[links.lan]\nbandwidth = \"3 ms\"\n");
  EXPECT_NE(error_of(p3).find("is a time, expected a bandwidth"), std::string::npos) << error_of(p3);
}

TEST_F(ScenarioTest, UnknownKindSuggests) {
  const auto p = write("kind.toml", "kind = \"tyo\"\n");
  EXPECT_NE(error_of(p).find(p + ":1:8: kind: 'tyo' is not one of: toy; did you mean 'toy'?"), std::string::npos) << error_of(p);
}

TEST_F(ScenarioTest, SyntaxErrorHasAPosition) {
  const auto p = write("syntax.toml", "kind = \"toy\"\nx = [1,\n");
  EXPECT_NE(error_of(p).find(p + ":"), std::string::npos);
  EXPECT_NE(error_of(p).find("(syntax)"), std::string::npos);
}

TEST_F(ScenarioTest, MissingFileAndMissingBase) {
  EXPECT_NE(error_of((dir_ / "nope.toml").string()).find("no such scenario file"), std::string::npos);
  const auto p = write("child.toml", "base = \"parent.toml\"\n");
  EXPECT_NE(error_of(p).find(p + ":1:8: base: base file '" + (dir_ / "parent.toml").string() + "' does not exist"),
            std::string::npos) << error_of(p);
}

TEST_F(ScenarioTest, BaseInheritanceMergesTablesAndOverrides) {
  write("parent.toml", std::string(kGood) + "[run]\nrounds = 5\nmode = \"slow\"\n");
  const auto p = write("child.toml", "base = \"parent.toml\"\n[run]\nrounds = 9\n[links.wan]\nbandwidth = \"400 Mbit/s\"\n");
  const auto pts = resolve(p, {}, lookup_);
  EXPECT_EQ(get_integer(pts[0].tree, "run.rounds"), 9);          // overridden
  EXPECT_EQ(get_string(pts[0].tree, "run.mode"), "slow");        // inherited
  EXPECT_DOUBLE_EQ(get_quantity(pts[0].tree, "links.lan.bandwidth", Dimension::kBandwidth), 125e6);
  EXPECT_DOUBLE_EQ(get_quantity(pts[0].tree, "links.wan.bandwidth", Dimension::kBandwidth), 50e6);
  EXPECT_FALSE(pts[0].tree.contains("base"));
}

TEST_F(ScenarioTest, ErrorsInABaseFilePointIntoTheBase) {
  const auto parent = write("parent.toml", std::string(kGood) + "[run]\nroundz = 5\n");
  const auto p = write("child.toml", "base = \"parent.toml\"\n");
  EXPECT_NE(error_of(p).find(parent + ":6:1: run.roundz: unknown key; did you mean 'rounds'?"), std::string::npos)
      << error_of(p);
}

TEST_F(ScenarioTest, BaseCycleIsRejected) {
  write("a.toml", "base = \"b.toml\"\n");
  const auto b = write("b.toml", "base = \"a.toml\"\n");
  EXPECT_NE(error_of(b).find("cycle"), std::string::npos) << error_of(b);
}

TEST_F(ScenarioTest, SetOverridesWithTypesAndStrings) {
  const auto p = write("good.toml", kGood);
  const auto pts = resolve(p, {"run.rounds=42", "links.lan.bandwidth=10 Gbit/s", "run.mode=\"slow\""}, lookup_);
  EXPECT_EQ(get_integer(pts[0].tree, "run.rounds"), 42);
  EXPECT_DOUBLE_EQ(get_quantity(pts[0].tree, "links.lan.bandwidth", Dimension::kBandwidth), 1.25e9);
  EXPECT_EQ(get_string(pts[0].tree, "run.mode"), "slow");
}

TEST_F(ScenarioTest, SetErrorsNameTheArgument) {
  const auto p = write("good.toml", kGood);
  EXPECT_NE(error_of(p, {"run.roundz=4"}).find("--set run.roundz=4: run.roundz: unknown key; did you mean 'rounds'?"),
            std::string::npos) << error_of(p, {"run.roundz=4"});
  EXPECT_NE(error_of(p, {"novalue"}).find("expected key.path=value"), std::string::npos);
  EXPECT_NE(error_of(p, {"kind.x=1"}).find("'kind' is not a table"), std::string::npos);
}

TEST_F(ScenarioTest, SweepIsACartesianProductWithZipGroups) {
  const auto p = write("sweep.toml", std::string(kGood) +
      "[sweep]\n\"run.rounds\" = [1, 2, 3]\n"
      "[[sweep.zip]]\n\"links.lan.bandwidth\" = [\"1 Gbit/s\", \"10 Gbit/s\"]\n\"links.lan.latency\" = [\"1 ms\", \"2 ms\"]\n");
  const auto pts = resolve(p, {}, lookup_);
  ASSERT_EQ(pts.size(), 6u);
  // Last axis fastest; the zip pair varies together.
  EXPECT_EQ(get_integer(pts[0].tree, "run.rounds"), 1);
  EXPECT_DOUBLE_EQ(get_quantity(pts[1].tree, "links.lan.bandwidth", Dimension::kBandwidth), 1.25e9);
  EXPECT_DOUBLE_EQ(get_quantity(pts[1].tree, "links.lan.latency", Dimension::kTime), 2e-3);
  EXPECT_EQ(get_integer(pts[5].tree, "run.rounds"), 3);
  EXPECT_EQ(pts[1].label(), "run.rounds=1, links.lan.bandwidth=\"10 Gbit/s\", links.lan.latency=\"2 ms\"");
  for (const auto& pt : pts) EXPECT_FALSE(pt.tree.contains("sweep"));
  EXPECT_EQ(pts[3].index, 3u);
}

TEST_F(ScenarioTest, SetOnASweptKeyNarrowsTheSweep) {
  const auto p = write("narrow.toml", std::string(kGood) +
      "[sweep]\n\"run.rounds\" = [1, 2, 3]\n"
      "[[sweep.zip]]\n\"links.lan.bandwidth\" = [\"1 Gbit/s\", \"10 Gbit/s\", \"1 Gbit/s\"]\n"
      "\"links.lan.latency\" = [\"1 ms\", \"2 ms\", \"3 ms\"]\n");
  ASSERT_EQ(resolve(p, {}, lookup_).size(), 9u);
  // An independent axis becomes the value set, whether or not it was swept.
  const auto two = resolve(p, {"run.rounds=2"}, lookup_);
  ASSERT_EQ(two.size(), 3u);
  for (const auto& pt : two) EXPECT_EQ(get_integer(pt.tree, "run.rounds"), 2);
  const auto seven = resolve(p, {"run.rounds=7"}, lookup_);
  ASSERT_EQ(seven.size(), 3u);
  EXPECT_EQ(get_integer(seven[0].tree, "run.rounds"), 7);
  EXPECT_EQ(seven[0].label(), "run.rounds=7, links.lan.bandwidth=\"1 Gbit/s\", links.lan.latency=\"1 ms\"");
  // A zip group keeps the entries with that value, its partners with them.
  const auto slow = resolve(p, {"links.lan.bandwidth=\"1 Gbit/s\""}, lookup_);
  ASSERT_EQ(slow.size(), 6u);
  EXPECT_DOUBLE_EQ(get_quantity(slow[1].tree, "links.lan.latency", Dimension::kTime), 3e-3);
  const auto both = resolve(p, {"links.lan.bandwidth=\"1 Gbit/s\"", "run.rounds=3", "links.lan.latency=\"3 ms\""}, lookup_);
  ASSERT_EQ(both.size(), 1u);
  EXPECT_EQ(both[0].label(), "run.rounds=3, links.lan.bandwidth=\"1 Gbit/s\", links.lan.latency=\"3 ms\"");
  const std::string e = error_of(p, {"links.lan.latency=\"9 ms\""});
  EXPECT_NE(e.find("--set links.lan.latency=\"9 ms\": links.lan.latency: 'links.lan.latency' is swept in a [[sweep.zip]] "
                   "group with the values [\"1 ms\", \"2 ms\", \"3 ms\"]"), std::string::npos) << e;
  // A key not swept is a plain override.
  EXPECT_EQ(resolve(p, {"run.ratio=0.25"}, lookup_).size(), 9u);
}

TEST_F(ScenarioTest, BadSweeps) {
  const std::string g(kGood);
  const auto p1 = write("s1.toml", g + "[sweep]\n\"run.rounds\" = 3\n");
  EXPECT_NE(error_of(p1).find("sweep.run.rounds: bad sweep: expected a list"), std::string::npos) << error_of(p1);
  const auto p2 = write("s2.toml", g + "[sweep]\n\"run.rounds\" = []\n");
  EXPECT_NE(error_of(p2).find("bad sweep: the list of values is empty"), std::string::npos) << error_of(p2);
  const auto p3 = write("s3.toml", g + "[[sweep.zip]]\n\"run.rounds\" = [1, 2]\n\"run.ratio\" = [0.1]\n");
  EXPECT_NE(error_of(p3).find("bad sweep: zip group lists differ in length"), std::string::npos) << error_of(p3);
  const auto p4 = write("s4.toml", g + "[sweep]\n\"run.roundz\" = [1, 2]\n");
  const std::string e4 = error_of(p4);
  EXPECT_NE(e4.find(p4 + ":6:17: run.roundz: unknown key; did you mean 'rounds'?"), std::string::npos) << e4;
  const auto p5 = write("s5.toml", g + "[sweep]\n\"run.rounds\" = [1, 500]\n");
  EXPECT_NE(error_of(p5).find("value 500 out of range"), std::string::npos) << error_of(p5);
  EXPECT_NE(error_of(p5).find("[sweep point 1: run.rounds=500]"), std::string::npos) << error_of(p5);
  const auto p6 = write("s6.toml", g + "[sweep]\n\"kind\" = [\"toy\"]\n");
  EXPECT_NE(error_of(p6).find("cannot be swept"), std::string::npos) << error_of(p6);
}

TEST_F(ScenarioTest, SeedCanBeSwept) {
  const auto p = write("seeds.toml", std::string(kGood) + "[sweep]\nseed = [1, 2, 3]\n");
  const auto pts = resolve(p, {}, lookup_);
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_EQ(pts[2].seed(), 3u);
  EXPECT_NE(pts[0].hash(), pts[1].hash());
}

}  // namespace
}  // namespace kvsim::scenarios
