// protocols/share_layout.h — local rearrangements of a share's elements (no communication): every
// component the party holds is rearranged the same way; a cost-mode share (or a dealer's empty
// one) comes back with the new shape and no data. Shared by the composite ops and by programs
// written on the protocol API (private_decode/). Shares are row-major.
#pragma once

#include <cstdint>
#include <vector>

#include "protocols/protocol.h"

namespace kvsim::protocols {

// Columns from, from + step, ... (count of them) of a (rows x cols) share -> (rows x count).
Share gather_cols(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t from, std::int64_t step, std::int64_t count);
// Each of a's `rows` elements repeated across `cols` columns -> (rows x cols).
Share broadcast_cols(const Share& a, std::int64_t rows, std::int64_t cols);
// Row sums of a (rows x cols) share -> (rows x 1).
Share sum_cols(const Share& a, std::int64_t rows, std::int64_t cols);

// Elements `idx` of `a`, as a share of `shape`.
Share take(const Share& a, const std::vector<std::int64_t>& idx, Shape shape);
// The same, with the indices built only when the party holds data (cost mode builds nothing: at
// 7B / 8K tokens the index lists alone would be hundreds of megabytes).
template <class MakeIndices>
Share take_lazy(const Share& a, MakeIndices make, Shape shape) {
  if (!has_data(a)) return Share{std::move(shape), {}, {}, a.cost_only};
  return take(a, make(), std::move(shape));
}
// The parts' elements one after another, as a share of `shape`.
Share concat(const std::vector<const Share*>& parts, Shape shape);
// Row-major (rows x cols) -> its rows [r0, r1).
Share rows_of(const Share& a, std::int64_t cols, std::int64_t r0, std::int64_t r1);
// Sum of each row of (rows x cols) -> (rows).
Share sum_rows(const Share& a, std::int64_t rows, std::int64_t cols);
// Each element of a (n) repeated `times` times consecutively -> (n * times).
Share repeat_each(const Share& a, std::int64_t times);
// Row-major (rows x cols) -> the indices of its transpose (cols x rows).
std::vector<std::int64_t> transpose_indices(std::int64_t rows, std::int64_t cols);
// out_i = sum_{j < i} a_j: linear, so each party scans the components it holds.
Share exclusive_prefix_sum(const Share& a);
// The same elements as a flat vector (elementwise ops require equal shapes).
Share flat(Share s);
// Elementwise product with public fixed-point constants (scale 2f; the caller truncates).
Share mul_public_tensor(const Share& a, const std::vector<double>& c, int frac_bits);

}  // namespace kvsim::protocols
