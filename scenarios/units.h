// scenarios/units.h — physical quantities written as strings in scenario files.
//
// Contract: a quantity is "<number> <unit>", e.g. "25 GB/s", "1 Gbit/s", "0.25 ms", "80 GiB",
// "312 TFLOP/s", "300 W". It parses to a double in the dimension's base unit:
//   time: seconds; data: bytes; bandwidth: bytes per second; work: FLOP; compute rate: FLOP/s;
//   power: watts; energy: joules; frequency: hertz.
// Decimal prefixes (k, M, G, T, P) are powers of 1000 and binary ones (Ki, Mi, Gi, Ti) powers of
// 1024; "bit" units are divided by 8. A bare number, an unknown unit or a unit of the wrong
// dimension is an error (UnitError) whose message names what was expected.
// format_quantity() writes a string that parse_quantity() reads back to the identical double.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kvsim::scenarios {

enum class Dimension { kTime, kData, kBandwidth, kWork, kComputeRate, kPower, kEnergy, kFrequency };

struct Quantity {
  double value = 0;  // in the base unit of `dim`
  Dimension dim = Dimension::kTime;
};

class UnitError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses "<number> <unit>" (space optional). Throws UnitError.
Quantity parse_quantity(std::string_view text);
// Parses and checks the dimension; the error names the expected dimension with an example.
double parse_quantity_as(std::string_view text, Dimension expected);

// Exact round-trip text in the base unit, e.g. "0.00025 s", "125000000 B/s".
std::string format_quantity(Quantity q);
// Human-friendly text with a scaled unit, e.g. "250 us", "1 Gbit/s" (for tables, not round-trip).
std::string pretty_quantity(Quantity q);

std::string_view dimension_name(Dimension d);     // "time", "data size", ...
std::string_view dimension_example(Dimension d);  // "\"0.25 ms\"", ...
std::string_view base_unit(Dimension d);          // "s", "B", "B/s", ...
// Every accepted unit spelling of a dimension (for help texts).
std::vector<std::string> unit_names(Dimension d);

}  // namespace kvsim::scenarios
