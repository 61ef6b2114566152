// protocols/cost_table.h — a family's declared costs, one row per primitive, as data.
//
// Contract: a CostTable is the single statement of what each primitive of a family costs every
// party: online rounds, bytes sent (multiples of K = 8 bytes times the op's sizes) and the
// dealer's offline bytes. Protocol::declared() evaluates it; `kvsim costs FAMILY` prints it as
// text generated from the same numbers, so the two cannot disagree. Tests check that what the
// Channel measures equals what the table declares.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/op.h"

namespace kvsim::protocols {

struct MatDims {
  std::int64_t batch = 1, m = 1, k = 1, n = 1;
};

// Declared cost of one op for every party: rounds and bytes sent, online; plus the dealer's
// offline bytes (semi2k).
struct OpCost {
  std::vector<std::int64_t> rounds;  // per party
  std::vector<double> bytes;         // per party, online
  double offline_bytes = 0;
};
OpCost operator+(OpCost a, const OpCost& b);  // an empty side counts as zero
OpCost& operator+=(OpCost& a, const OpCost& b);

// A row of `kvsim costs FAMILY`.
struct CostFormula {
  std::string op, rounds, bytes, note;
};

// A linear combination of the sizes an op is charged on, in ring elements: n (the elements of
// an elementwise op), and for a product (b, m, k, n) its left operand b m k, right operand b k n
// and output b m n; n bits for an op on boolean values of a width; and w = ceil(n / 64) words
// per bit plane of a circuit that packs 64 elements to a word.
struct Elements {
  double n = 0, left = 0, right = 0, out = 0;
  double n_bits = 0;  // times n x the boolean width (a B2A of `bits`-bit values)
  double planes = 0;  // times w = ceil(n / 64): bit planes, 64 elements to a word (bit_planes.h)
};

struct CostRule {
  Op op;
  std::array<std::int64_t, 3> rounds;  // per party
  std::array<Elements, 3> bytes;       // online, per party, in K
  Elements offline;                    // the dealer's preprocessing, in K
  std::string_view how;                // what the protocol does, for `kvsim costs`
};

class CostTable {
 public:
  // `parties` names the three parties in the generated text (e.g. semi2k's "the dealer").
  CostTable(std::string family, std::array<std::string_view, 3> parties, std::vector<CostRule> rules);

  // This table under another family's name with `changes` replacing (or adding) the rows of
  // their ops: a family that shares most primitives with another states only what differs.
  CostTable with_changes(std::string family, std::vector<CostRule> changes) const;

  // Throws std::invalid_argument naming the family and the op when the table has no row for it.
  OpCost cost(Op op, std::int64_t n, const MatDims& d = {}, int bits = 0) const;
  bool has(Op op) const;
  std::vector<CostFormula> formulas() const;
  const std::string& family() const { return family_; }

 private:
  const CostRule& rule(Op op) const;
  std::string family_;
  std::array<std::string_view, 3> parties_;
  std::vector<CostRule> rules_;
};

}  // namespace kvsim::protocols
