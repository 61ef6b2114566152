// protocols/aby3_spu/costs.cpp — what each aby3-spu primitive costs every party: aby3's table
// (aby3/costs.cpp: input, reveal, mul, matmul, shuffle, exact truncation, bit injection are
// the same protocols) with the rows SPU 0.9.1 computes differently. SPU's figures, summed over
// the three parties (../shared/briefs/mpcache-spu.md §4), are checked against these rows in
// tests/protocols/aby3_spu_test.cpp.
#include "protocols/aby3_spu/aby3_spu.h"

namespace kvsim::protocols {

const CostTable& Aby3Spu::cost_table() {
  // Elements{n, left, right, out, n_bits}: multiples of n (or n bits), in K.
  auto each = [](double n) { return std::array<Elements, 3>{Elements{n}, Elements{n}, Elements{n}}; };
  static const CostTable table = Aby3::cost_table().with_changes(
      "aby3-spu",
      {
          // P2 deals rm and rl >> f to parties 0 and 1 (2 words each); 0 and 1 open x + r, then re-share.
          {Op::kTrunc, {2, 2, 1}, {Elements{2}, Elements{2}, Elements{4}}, {},
           "TruncAPr (precise): open x + r between parties 0 and 1, party 2 deals r's top bit and shifted low bits, re-share"},
          // Rotate (8 B), g (8 B), then pairs of 32, 16, 8, 4, 2, 1 bits: 8, 4, 2, 2, 2, 2 B.
          {Op::kMsb, {8, 8, 8}, each(4.5), {},
           "MsbA2B: rotate, carry-only tree with halving widths; a 1-bit boolean result"},
          // Party 0 deals (16 B to party 2), party 2 opens c to party 1 with r's component (16 B);
          // AND-reduction of 64 bits: 4 + 2 + 1 + 1 + 1 + 1 B each.
          {Op::kEqz, {7, 7, 8}, {Elements{3.25}, Elements{1.25}, Elements{3.25}}, {},
           "dealt r (arithmetic and boolean), c = x + r opened to parties 1 and 2, AND-reduce NOT(c ^ r); an 8-bit boolean result"},
          {Op::kToBoolean, {8, 8, 8}, each(14), {}, "A2B: rotate, Kogge-Stone adder with both ANDs at every level"},
          {Op::kToArithmetic, {9, 9, 9}, {Elements{14}, Elements{16}, Elements{13}}, {},
           "B2AByPPA (more than 8 bits): party 1 XOR-shares -(y1 + y2), adder, y0 opened to parties 0 and 2"},
          {Op::kBitsToArithmetic, {1, 2, 2}, {Elements{0, 0, 0, 0, 2}, Elements{1}, Elements{0, 0, 0, 0, 1}}, {},
           "B2AByOT (at most 8 bits): an OT per bit from party 0 (helper 2, receiver 1), then y2 to party 2"},
          {Op::kMulBit, {2, 2, 2}, {Elements{3}, Elements{3}, Elements{2}}, {},
           "MulA1B: two 3-party OTs (senders 0 and 1, helper 2), then two re-share words to party 2"},
          {Op::kAnd, {1, 1, 1}, each(0.125), {}, "AND of typed boolean shares, n counting the operands' bytes"},
      });
  return table;
}

}  // namespace kvsim::protocols
