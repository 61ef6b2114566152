// tests/fuzz/fuzz_checkpoint.cpp — fuzz target: the small-model checkpoint loader. Half the inputs
// (first byte odd) get a correct SHA-256 written into their header first, so the fuzzer reaches
// the structure parser behind the digest; the others exercise the digest check itself.
#include <stdexcept>
#include <vector>

#include "models/lm/checkpoint.h"
#include "results/sha256.h"
#include "tests/fuzz/fuzz_input.h"

namespace {
int hex_value(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool seal = data[0] & 1;
  std::vector<char> bytes(data + 1, data + size);
  if (seal && bytes.size() >= 44) {
    const std::string hex = kvsim::results::sha256_hex(bytes.data() + 44, bytes.size() - 44);
    for (int i = 0; i < 32; ++i) bytes[12 + i] = static_cast<char>(hex_value(hex[2 * i]) * 16 + hex_value(hex[2 * i + 1]));
  }
  try {
    (void)kvsim::models::lm::parse_small_lm(std::move(bytes), "fuzz.bin");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
