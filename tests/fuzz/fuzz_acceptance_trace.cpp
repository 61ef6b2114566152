// tests/fuzz/fuzz_acceptance_trace.cpp — fuzz target: the acceptance trace loader. Inputs whose
// first byte is odd are sealed first (a correct header line), so the outcome parser behind the
// digest is reached; the others go in as they are.
#include <stdexcept>
#include <string>

#include "models/speculative/acceptance.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using kvsim::models::spec::AcceptanceTrace;
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    AcceptanceTrace t = AcceptanceTrace::parse((data[0] & 1) ? AcceptanceTrace::seal(body) : body, "fuzz.txt");
    (void)t.alpha();
    for (int g = 1; g < 8; ++g) (void)t.round(g);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
