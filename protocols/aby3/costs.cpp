// protocols/aby3/costs.cpp — what each ABY3 primitive costs every party: the one statement of it.
#include "protocols/aby3/aby3.h"

namespace kvsim::protocols {

const CostTable& Aby3::cost_table() {
  // Elements{n, left, right, out}: multiples of n (or of a product's b m k, b k n, b m n), in K.
  auto each = [](double n) { return std::array<Elements, 3>{Elements{n}, Elements{n}, Elements{n}}; };
  static const CostTable table(
      "aby3", {"party 0", "party 1", "party 2"},
      {
          {Op::kInput, {1, 1, 1}, {Elements{2}, Elements{}, Elements{}}, {},
           "stated for owner 0 (the owner's role moves with it): x_{o+2} to both others; x_o, x_{o+1} from pairwise PRGs"},
          {Op::kReveal, {1, 1, 1}, each(1), {}, "each party sends x_i to the next (typed boolean shares open by XOR)"},
          {Op::kSharePublic, {0, 0, 0}, each(0), {}, "nothing: every party computes"},
          {Op::kLocal, {0, 0, 0}, each(0), {}, "local"},
          {Op::kMul, {1, 1, 1}, each(1), {}, "local cross terms + zero sharing, reshare to the previous party"},
          {Op::kMatmul, {1, 1, 1}, {Elements{0, 0, 0, 1}, Elements{0, 0, 0, 1}, Elements{0, 0, 0, 1}}, {},
           "as mul, on the output"},
          {Op::kTrunc, {1, 1, 0}, {Elements{}, Elements{1}, Elements{}}, {}, "ABY3 Pi_trunc1 (probabilistic, the default)"},
          // The adder's carries (1 + 7 rounds, 12 AND words, party 1's XOR input), B2A of two bits
          // (2 rounds: 6 n K then 2 n K), and the Pi_trunc1 re-share (party 1 -> 0).
          {Op::kTruncExact, {11, 11, 10}, {Elements{20}, Elements{23}, Elements{20}}, {},
           "carry and wrap bits of the 2-of-2 view from the adder"},
          // On bit planes (aby3/compare.cpp): party 0 shares M's 64 planes and s (n K); parties 1
          // and 2 send the 63 generate planes' re-share and their part of s t (n K); the tree
          // ANDs 118 planes; the masked result is one plane.
          {Op::kMsb, {9, 9, 9},
           {Elements{.n = 1, .planes = 64 + 118 + 1}, Elements{.n = 1, .planes = 63 + 118 + 1},
            Elements{.n = 1, .planes = 63 + 118 + 1}},
           {}, "carry-out tree over bit planes (1 + 1 + 6 rounds), msb ^ r opened against a random bit shared both ways (1)"},
          // On bit planes: msb's split (party 0: 64 planes + n K), then the AND-reduction of the
          // 64 complemented planes (63 planes over 6 levels; the first carries the random bit's
          // product parts, n K from parties 1 and 2), the masked result (1 plane).
          {Op::kEqz, {8, 8, 8},
           {Elements{.n = 1, .planes = 64 + 63 + 1}, Elements{.n = 1, .planes = 63 + 1}, Elements{.n = 1, .planes = 63 + 1}},
           {}, "AND-reduction of NOT(M ^ -x_2) over bit planes (1 + 6 rounds), the result ^ r opened (1)"},
          {Op::kToBoolean, {8, 8, 8}, {Elements{12}, Elements{14}, Elements{12}}, {},
           "Kogge-Stone adder on x_0 + (x_1 + x_2)"},
          {Op::kToArithmetic, {2, 2, 2}, each(256), {}, "64 bit injections b0 + b1 + b2 - 2(...) + 4 b0 b1 b2"},
          {Op::kBitToArithmetic, {2, 2, 2}, each(4), {},
           "b0 + b1 + b2 - 2 (b0 b1 + b0 b2 + b1 b2) + 4 b0 b1 b2: the pairwise products, then the triple"},
          // Three re-sharing steps; each party is in two of the three pairs (1 round, n K each).
          {Op::kShuffle, {2, 2, 2}, each(2), {}, "three pair-known permutations, re-shared with masks"},
      });
  return table;
}

}  // namespace kvsim::protocols
