// protocols/plaintext/costs.cpp — the reference family's costs: only inputs move.
#include "protocols/plaintext/plaintext.h"

namespace kvsim::protocols {

const CostTable& Plaintext::cost_table() {
  const std::array<Elements, 3> none{};
  auto free = [&](Op op) { return CostRule{op, {0, 0, 0}, none, {}, "computed in the clear by every party"}; };
  static const CostTable table(
      "plaintext", {"party 0", "party 1", "party 2"},
      {
          {Op::kInput, {1, 1, 1}, {Elements{2}, Elements{}, Elements{}}, {},
           "stated for owner 0: the owner sends the value to the N - 1 = 2 others"},
          free(Op::kReveal), free(Op::kSharePublic), free(Op::kLocal), free(Op::kMul), free(Op::kMatmul),
          free(Op::kTrunc), free(Op::kTruncExact), free(Op::kMsb), free(Op::kEqz), free(Op::kToBoolean),
          free(Op::kToArithmetic), free(Op::kBitToArithmetic), free(Op::kShuffle),
      });
  return table;
}

}  // namespace kvsim::protocols
