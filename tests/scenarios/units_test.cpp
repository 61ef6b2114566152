// tests/scenarios/units_test.cpp — quantity parsing, dimension checks, round trips.
#include <gtest/gtest.h>

#include "scenarios/units.h"

namespace kvsim::scenarios {
namespace {

TEST(Units, ParsesTheUnitsOfTheBriefs) {
  EXPECT_DOUBLE_EQ(parse_quantity_as("25 GB/s", Dimension::kBandwidth), 25e9);
  EXPECT_DOUBLE_EQ(parse_quantity_as("1 Gbit/s", Dimension::kBandwidth), 125e6);
  EXPECT_DOUBLE_EQ(parse_quantity_as("400 Mbps", Dimension::kBandwidth), 50e6);
  EXPECT_DOUBLE_EQ(parse_quantity_as("0.25 ms", Dimension::kTime), 0.25e-3);
  EXPECT_DOUBLE_EQ(parse_quantity_as("80 GiB", Dimension::kData), 80.0 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(parse_quantity_as("312 TFLOP/s", Dimension::kComputeRate), 312e12);
  EXPECT_DOUBLE_EQ(parse_quantity_as("312 TFLOPS", Dimension::kComputeRate), 312e12);
  EXPECT_DOUBLE_EQ(parse_quantity_as("2 TFLOP", Dimension::kWork), 2e12);
  EXPECT_DOUBLE_EQ(parse_quantity_as("450 W", Dimension::kPower), 450);
  EXPECT_DOUBLE_EQ(parse_quantity_as("1 kWh", Dimension::kEnergy), 3.6e6);
  EXPECT_DOUBLE_EQ(parse_quantity_as("1.41GHz", Dimension::kFrequency), 1.41e9);
  EXPECT_DOUBLE_EQ(parse_quantity_as("  512 KiB ", Dimension::kData), 512.0 * 1024);
  EXPECT_DOUBLE_EQ(parse_quantity_as("1e3 us", Dimension::kTime), 1e-3);
}

TEST(Units, RejectsBareNumbersUnknownUnitsAndWrongDimensions) {
  EXPECT_THROW(parse_quantity("42"), UnitError);
  EXPECT_THROW(parse_quantity("fast"), UnitError);
  EXPECT_THROW(parse_quantity(""), UnitError);
  try {
    parse_quantity_as("1 Gb/s", Dimension::kBandwidth);
    FAIL();
  } catch (const UnitError& e) {
    EXPECT_NE(std::string(e.what()).find("'bit' for bits"), std::string::npos) << e.what();
  }
  try {
    parse_quantity_as("3 ms", Dimension::kBandwidth);
    FAIL();
  } catch (const UnitError& e) {
    EXPECT_NE(std::string(e.what()).find("is a time, expected a bandwidth"), std::string::npos) << e.what();
  }
}

TEST(Units, FormatRoundTripsExactly) {
  for (const char* text : {"0.25 ms", "1 Gbit/s", "80 GiB", "312 TFLOP/s", "1.1 s", "3 ps", "0.1 GB/s",
                           "123.456789 MiB", "7 kWh", "1600 Mbit/s"}) {
    const Quantity q = parse_quantity(text);
    const Quantity back = parse_quantity(format_quantity(q));
    EXPECT_EQ(back.value, q.value) << text;  // bit-identical double
    EXPECT_EQ(back.dim, q.dim) << text;
  }
}

TEST(Units, PrettyPrintsWithAScaledUnit) {
  EXPECT_EQ(pretty_quantity(parse_quantity("0.25 ms")), "250 us");
  EXPECT_EQ(pretty_quantity(parse_quantity("1 Gbit/s")), "1 Gbit/s");
  EXPECT_EQ(pretty_quantity(parse_quantity("80 GiB")), "80 GiB");
}

}  // namespace
}  // namespace kvsim::scenarios
