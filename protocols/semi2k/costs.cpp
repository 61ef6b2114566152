// protocols/semi2k/costs.cpp — what each semi2k primitive costs every party: the one statement of
// it. The dealer's preprocessing is offline: bytes, not rounds, for the party that receives it.
#include "protocols/semi2k/semi2k.h"

namespace kvsim::protocols {

const CostTable& Semi2kDealer::cost_table() {
  // Elements{n, left, right, out}: multiples of n (or of a product's b m k, b k n, b m n), in K.
  auto computing = [](Elements e) { return std::array<Elements, 3>{e, e, Elements{}}; };
  const std::array<std::int64_t, 3> one = {1, 1, 0};
  static const CostTable table(
      "semi2k", {"party 0", "party 1", "the dealer"},
      {
          {Op::kInput, {0, 0, 0}, computing({}), {}, "mask from the key of parties 0 and 1"},
          {Op::kReveal, one, computing({1}), {}, "each computing party sends its share to the other"},
          {Op::kSharePublic, {1, 0, 1}, {Elements{1}, Elements{}, Elements{}}, {},
           "party 0 forwards the public value to the dealer"},
          {Op::kLocal, {0, 0, 0}, computing({}), {}, "local"},
          {Op::kMul, one, computing({2}), {1}, "Beaver: open e = x - a, f = y - b"},
          {Op::kMatmul, one, computing({0, 1, 1, 0}), {0, 0, 0, 1}, "Beaver matrix triple"},
          {Op::kTrunc, {0, 0, 0}, computing({}), {}, "SecureML local truncation (probabilistic, the default)"},
          // The adder (7 rounds, 24 n K) and B2A of two bits (1 round, 4 n K).
          {Op::kTruncExact, {8, 8, 0}, computing({28}), {14}, "carry and wrap bits from the dealer-AND adder"},
          // On bit planes (semi2k/compare.cpp): 63 generate planes (each party opens its own
          // addend), 180 opened planes over the tree's 6 levels, the masked result (1 plane).
          // Offline: party 1's c planes of the 181 ANDed planes, and its share of the random bit.
          {Op::kMsb, {8, 8, 0}, computing(Elements{.planes = 63 + 180 + 1}), Elements{.n = 1, .planes = 181},
           "carry-out tree over bit planes with dealer triples (1 + 6 rounds), msb ^ r opened (1)"},
          // On bit planes: the AND-reduction of NOT(x_0 ^ -x_1) (63 ANDs, two opened planes each),
          // the masked result (1 plane). Offline: party 1's 63 c planes and its share of the bit.
          {Op::kEqz, {7, 7, 0}, computing(Elements{.planes = 126 + 1}), Elements{.n = 1, .planes = 63},
           "AND-reduction of NOT(x_0 ^ -x_1) over bit planes with dealer triples (6 rounds), the result ^ r opened (1)"},
          {Op::kToBoolean, {7, 7, 0}, computing({24}), {12}, "Kogge-Stone adder with dealer AND triples"},
          {Op::kToArithmetic, one, computing({128}), {64}, "64 bit injections b0 + b1 - 2 b0 b1"},
          {Op::kBitToArithmetic, one, computing({2}), {1}, "b0 + b1 - 2 b0 b1 (one Beaver product)"},
          // Two steps; in each, one party sends n K and the other receives (1 round each).
          {Op::kShuffle, {2, 2, 0}, computing({1}), {2}, "two permutations, each known to one party and the dealer"},
          {Op::kPrepareOperand, one, computing({1}), {}, "open F = W - B once for a reused right operand"},
          {Op::kMatmulOperand, one, computing({0, 1, 0, 0}), {0, 0, 0, 1}, "Beaver with a fixed B: open E only"},
      });
  return table;
}

}  // namespace kvsim::protocols
