// protocols/share_layout.h — local rearrangements of a share's elements (no communication): every
// component the party holds is rearranged the same way; a cost-mode share (or a dealer's empty
// one) comes back with the new shape and no data. Shared by the composite ops and by programs
// written on the protocol API (app/runner/private_decode.cpp).
#pragma once

#include <cstdint>

#include "protocols/protocol.h"

namespace kvsim::protocols {

// Columns from, from + step, ... (count of them) of a (rows x cols) share -> (rows x count).
Share gather_cols(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t from, std::int64_t step, std::int64_t count);
// Each of a's `rows` elements repeated across `cols` columns -> (rows x cols).
Share broadcast_cols(const Share& a, std::int64_t rows, std::int64_t cols);
// Row sums of a (rows x cols) share -> (rows x 1).
Share sum_cols(const Share& a, std::int64_t rows, std::int64_t cols);

}  // namespace kvsim::protocols
