// tests/fuzz/fuzz_scenario.cpp — fuzz target: the scenario loader as `kvsim run` drives it (TOML,
// the kinds' schemas, units, bases, sweeps, --set values). The input is a scenario file,
// optionally followed by a line "#--set" and one --set value per line. A ScenarioError is the
// expected answer to bad input; anything else escaping, a crash, a leak or UB is a finding.
#include <string>
#include <vector>

#include "app/kinds/kinds.h"
#include "scenarios/scenario.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvsim;
  static const runner::KindRegistry kinds = runner::builtin_kinds();
  static const fuzz::TempFile file(".toml");
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t cut = input.find("\n#--set\n");
  file.write(input.substr(0, cut));
  std::vector<std::string> sets;
  if (cut != std::string::npos) {
    std::size_t at = cut + 8;
    while (at < input.size()) {
      const std::size_t eol = input.find('\n', at);
      sets.push_back(input.substr(at, eol == std::string::npos ? std::string::npos : eol - at));
      if (eol == std::string::npos) break;
      at = eol + 1;
    }
  }
  try {
    const auto points = scenarios::resolve(file.path(), sets, kinds.lookup());
    for (const auto& p : points) (void)p.text();
  } catch (const scenarios::ScenarioError&) {
  }
  return 0;
}
