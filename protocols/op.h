// protocols/op.h — the primitive operations a protocol family implements and declares a cost for.
//
// Contract: every communicating step of a protocol is one of these primitives; composite ops
// (comparisons, exp, softmax, top-k, ...) are built on them in protocols/ and declare nothing of
// their own. The Meter receives each primitive's declared cost as it is called.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace kvsim::protocols {

enum class Op {
  kInput,
  kReveal,
  kSharePublic,      // a public value handed to the helpers (semi2k's dealer)
  kMul,
  kMatmul,
  kTrunc,            // probabilistic truncation
  kTruncExact,
  kMsb,
  kEqz,
  kToBoolean,        // A2B
  kToArithmetic,     // B2A of whole words
  kBitToArithmetic,  // injection of single XOR-shared bits
  kShuffle,
  kPrepareOperand,   // one-time work on a reused right operand
  kMatmulOperand,    // a product with a prepared operand
  kMulBit,           // arithmetic x 1-bit boolean (SPU's MulA1B)
  kAnd,              // AND of typed boolean shares: n counts the operands' bytes
  kBitsToArithmetic, // B2A of a boolean share of at most 8 bits (SPU's B2AByOT)
  kLocal,            // add, sub, add_public, mul_public: never communicates
};

inline constexpr std::size_t kOpCount = static_cast<std::size_t>(Op::kLocal) + 1;

constexpr std::string_view op_name(Op op) {
  constexpr std::array<std::string_view, kOpCount> names = {
      "input", "reveal", "share_public", "mul",      "matmul",           "trunc",
      "trunc_exact", "msb", "eqz", "to_boolean", "to_arithmetic", "bit_to_arithmetic",
      "shuffle", "prepare_operand", "matmul_operand", "mul_bit", "and", "bits_to_arithmetic",
      "add, sub, add_public, mul_public"};
  return names[static_cast<std::size_t>(op)];
}

}  // namespace kvsim::protocols
