// scenarios/units.cpp — the unit table and the parser.
#include "scenarios/units.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace kvsim::scenarios {

namespace {

struct UnitDef {
  std::string_view name;
  double factor;  // multiply to get the base unit
  Dimension dim;
};

constexpr double K = 1e3, M = 1e6, G = 1e9, T = 1e12, P = 1e15;
constexpr double Ki = 1024.0, Mi = Ki * 1024, Gi = Mi * 1024, Ti = Gi * 1024;

const UnitDef kUnits[] = {
    // time
    {"ps", 1e-12, Dimension::kTime}, {"ns", 1e-9, Dimension::kTime}, {"us", 1e-6, Dimension::kTime},
    {"\xC2\xB5s", 1e-6, Dimension::kTime}, {"ms", 1e-3, Dimension::kTime}, {"s", 1, Dimension::kTime},
    {"min", 60, Dimension::kTime}, {"h", 3600, Dimension::kTime},
    // data size
    {"B", 1, Dimension::kData}, {"kB", K, Dimension::kData}, {"MB", M, Dimension::kData},
    {"GB", G, Dimension::kData}, {"TB", T, Dimension::kData}, {"KiB", Ki, Dimension::kData},
    {"MiB", Mi, Dimension::kData}, {"GiB", Gi, Dimension::kData}, {"TiB", Ti, Dimension::kData},
    {"bit", 1.0 / 8, Dimension::kData}, {"kbit", K / 8, Dimension::kData},
    {"Mbit", M / 8, Dimension::kData}, {"Gbit", G / 8, Dimension::kData},
    {"Tbit", T / 8, Dimension::kData},
    // bandwidth (also written as <data unit>/s, handled in parse)
    {"bps", 1.0 / 8, Dimension::kBandwidth}, {"kbps", K / 8, Dimension::kBandwidth},
    {"Mbps", M / 8, Dimension::kBandwidth}, {"Gbps", G / 8, Dimension::kBandwidth},
    {"Tbps", T / 8, Dimension::kBandwidth},
    // work
    {"FLOP", 1, Dimension::kWork}, {"kFLOP", K, Dimension::kWork}, {"MFLOP", M, Dimension::kWork},
    {"GFLOP", G, Dimension::kWork}, {"TFLOP", T, Dimension::kWork}, {"PFLOP", P, Dimension::kWork},
    // compute rate (also <work unit>/s)
    {"FLOPS", 1, Dimension::kComputeRate}, {"GFLOPS", G, Dimension::kComputeRate},
    {"TFLOPS", T, Dimension::kComputeRate}, {"PFLOPS", P, Dimension::kComputeRate},
    // power and energy
    {"mW", 1e-3, Dimension::kPower}, {"W", 1, Dimension::kPower}, {"kW", K, Dimension::kPower},
    {"J", 1, Dimension::kEnergy}, {"kJ", K, Dimension::kEnergy}, {"MJ", M, Dimension::kEnergy},
    {"Wh", 3600, Dimension::kEnergy}, {"kWh", 3600 * K, Dimension::kEnergy},
    // frequency
    {"Hz", 1, Dimension::kFrequency}, {"kHz", K, Dimension::kFrequency},
    {"MHz", M, Dimension::kFrequency}, {"GHz", G, Dimension::kFrequency},
};

const UnitDef* find_unit(std::string_view name) {
  for (const UnitDef& u : kUnits) if (u.name == name) return &u;
  return nullptr;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Why "Kb", "Gb", "gb", "GBps" are rejected rather than guessed: bits vs bytes is a factor of 8,
// the most common unit mistake in network papers; a scenario must say which one it means.
std::string hint_for(std::string_view unit) {
  if (unit == "b" || unit == "Kb" || unit == "kb" || unit == "Mb" || unit == "Gb" || unit == "Tb" ||
      unit == "Kb/s" || unit == "kb/s" || unit == "Mb/s" || unit == "Gb/s" || unit == "Tb/s") {
    return " (write 'bit' for bits or 'B' for bytes, e.g. \"1 Gbit/s\" or \"1 GB/s\")";
  }
  if (unit == "KB" || unit == "KB/s") return " (write 'kB' for 1000 bytes or 'KiB' for 1024)";
  if (unit == "sec" || unit == "secs") return " (write 's')";
  if (unit == "msec" || unit == "msecs") return " (write 'ms')";
  return "";
}

}  // namespace

std::string_view dimension_name(Dimension d) {
  switch (d) {
    case Dimension::kTime: return "time";
    case Dimension::kData: return "data size";
    case Dimension::kBandwidth: return "bandwidth";
    case Dimension::kWork: return "amount of work";
    case Dimension::kComputeRate: return "compute rate";
    case Dimension::kPower: return "power";
    case Dimension::kEnergy: return "energy";
    case Dimension::kFrequency: return "frequency";
  }
  return "?";
}

std::string_view dimension_example(Dimension d) {
  switch (d) {
    case Dimension::kTime: return "\"0.25 ms\"";
    case Dimension::kData: return "\"80 GiB\"";
    case Dimension::kBandwidth: return "\"1 Gbit/s\" or \"25 GB/s\"";
    case Dimension::kWork: return "\"2 TFLOP\"";
    case Dimension::kComputeRate: return "\"312 TFLOP/s\"";
    case Dimension::kPower: return "\"400 W\"";
    case Dimension::kEnergy: return "\"1.5 kWh\"";
    case Dimension::kFrequency: return "\"1.41 GHz\"";
  }
  return "?";
}

std::string_view base_unit(Dimension d) {
  switch (d) {
    case Dimension::kTime: return "s";
    case Dimension::kData: return "B";
    case Dimension::kBandwidth: return "B/s";
    case Dimension::kWork: return "FLOP";
    case Dimension::kComputeRate: return "FLOP/s";
    case Dimension::kPower: return "W";
    case Dimension::kEnergy: return "J";
    case Dimension::kFrequency: return "Hz";
  }
  return "?";
}

std::vector<std::string> unit_names(Dimension d) {
  std::vector<std::string> out;
  for (const UnitDef& u : kUnits) if (u.dim == d) out.emplace_back(u.name);
  if (d == Dimension::kBandwidth)
    for (const UnitDef& u : kUnits) if (u.dim == Dimension::kData) out.push_back(std::string(u.name) + "/s");
  if (d == Dimension::kComputeRate)
    for (const UnitDef& u : kUnits) if (u.dim == Dimension::kWork) out.push_back(std::string(u.name) + "/s");
  return out;
}

Quantity parse_quantity(std::string_view text) {
  const std::string s(trim(text));
  if (s.empty()) throw UnitError("empty quantity");
  const char* begin = s.c_str();
  char* end = nullptr;
  errno = 0;
  const double number = std::strtod(begin, &end);
  if (end == begin) throw UnitError("'" + s + "' does not start with a number");
  if (errno == ERANGE || !std::isfinite(number)) throw UnitError("'" + s + "': number out of range");
  const std::string_view unit = trim(std::string_view(end));
  if (unit.empty()) throw UnitError("'" + s + "' has no unit");
  if (const UnitDef* u = find_unit(unit)) return Quantity{number * u->factor, u->dim};
  // "<data>/s" is a bandwidth, "<work>/s" a compute rate.
  if (unit.size() > 2 && unit.substr(unit.size() - 2) == "/s") {
    if (const UnitDef* u = find_unit(unit.substr(0, unit.size() - 2))) {
      if (u->dim == Dimension::kData) return Quantity{number * u->factor, Dimension::kBandwidth};
      if (u->dim == Dimension::kWork) return Quantity{number * u->factor, Dimension::kComputeRate};
    }
  }
  throw UnitError("'" + s + "': unknown unit '" + std::string(unit) + "'" + hint_for(unit));
}

double parse_quantity_as(std::string_view text, Dimension expected) {
  Quantity q;
  try {
    q = parse_quantity(text);
  } catch (const UnitError& e) {
    throw UnitError(std::string(e.what()) + "; expected a " + std::string(dimension_name(expected)) +
                    " such as " + std::string(dimension_example(expected)));
  }
  if (q.dim != expected) {
    throw UnitError("'" + std::string(trim(text)) + "' is a " + std::string(dimension_name(q.dim)) +
                    ", expected a " + std::string(dimension_name(expected)) + " such as " +
                    std::string(dimension_example(expected)));
  }
  return q.value;
}

std::string format_quantity(Quantity q) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g %s", q.value, std::string(base_unit(q.dim)).c_str());
  return buf;
}

std::string pretty_quantity(Quantity q) {
  struct Scale { double f; const char* unit; };
  const double v = q.value, a = std::fabs(v);
  auto pick = [&](std::initializer_list<Scale> scales) {
    for (const Scale& s : scales) {
      if (a >= s.f || &s == scales.end() - 1) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.4g %s", v / s.f, s.unit);
        return std::string(buf);
      }
    }
    return std::string();
  };
  switch (q.dim) {
    case Dimension::kTime: return pick({{1, "s"}, {1e-3, "ms"}, {1e-6, "us"}, {1e-9, "ns"}, {1e-12, "ps"}});
    case Dimension::kData: return pick({{Ti, "TiB"}, {Gi, "GiB"}, {Mi, "MiB"}, {Ki, "KiB"}, {1, "B"}});
    case Dimension::kBandwidth: return pick({{G / 8, "Gbit/s"}, {M / 8, "Mbit/s"}, {K / 8, "kbit/s"}, {1.0 / 8, "bit/s"}});
    case Dimension::kWork: return pick({{P, "PFLOP"}, {T, "TFLOP"}, {G, "GFLOP"}, {M, "MFLOP"}, {1, "FLOP"}});
    case Dimension::kComputeRate: return pick({{P, "PFLOP/s"}, {T, "TFLOP/s"}, {G, "GFLOP/s"}, {1, "FLOP/s"}});
    case Dimension::kPower: return pick({{K, "kW"}, {1, "W"}, {1e-3, "mW"}});
    case Dimension::kEnergy: return pick({{3600 * K, "kWh"}, {K, "kJ"}, {1, "J"}});
    case Dimension::kFrequency: return pick({{G, "GHz"}, {M, "MHz"}, {K, "kHz"}, {1, "Hz"}});
  }
  return format_quantity(q);
}

}  // namespace kvsim::scenarios
