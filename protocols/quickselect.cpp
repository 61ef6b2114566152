// protocols/quickselect.cpp — SPU's top-k: shuffle, then QuickSelect with revealed comparisons.
//
// Shares are laid out as (rows, fields, cols): field 0 the values, field 1 their indices. Each
// family's shuffle is in its folder (e.g. protocols/aby3/shuffle.cpp).
#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "protocols/protocol.h"

namespace kvsim::protocols {

sim::Task<Protocol::QuickSelect> Protocol::topk_quickselect(const Share& a, std::int64_t rows, std::int64_t cols,
                                                            std::int64_t k) {
  if (k < 1 || k > cols) throw std::invalid_argument("topk: k must be in [1, cols]");
  const bool data = has_data(a);
  // (rows, 2, cols): values and their column indices, shuffled together.
  Share rec{Shape{rows, 2, cols}, {}, {}, a.cost_only};
  RingTensor iota(Shape{rows, 2, cols});
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) iota.data[static_cast<std::size_t>((r * 2 + 1) * cols + c)] = static_cast<Ring>(c);
  if (data) {
    const bool two = !a.s1.empty();
    rec.s0.assign(static_cast<std::size_t>(rows * 2 * cols), 0);
    if (two) rec.s1.assign(rec.s0.size(), 0);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) {
        rec.s0[static_cast<std::size_t>(r * 2 * cols + c)] = a.s0[static_cast<std::size_t>(r * cols + c)];
        if (two) rec.s1[static_cast<std::size_t>(r * 2 * cols + c)] = a.s1[static_cast<std::size_t>(r * cols + c)];
      }
  }
  rec = add_public(rec, iota);
  const Share shuffled = co_await shuffle_rows(rec, rows, cols, 2);

  // QuickSelect on positions, in the clear: each row keeps a candidate range and how many of the
  // top k are still to be found in it. One level = one batched comparison against each active
  // row's pivot (its range's first element) and one reveal of the bits.
  struct Range {
    std::vector<std::int64_t> items;  // shuffled positions
    std::int64_t need;                // how many of the largest items of this range to take
  };
  std::vector<Range> ranges(static_cast<std::size_t>(rows));
  std::vector<std::vector<std::int64_t>> chosen(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) {
    ranges[static_cast<std::size_t>(r)].items.resize(static_cast<std::size_t>(cols));
    std::iota(ranges[static_cast<std::size_t>(r)].items.begin(), ranges[static_cast<std::size_t>(r)].items.end(), 0);
    ranges[static_cast<std::size_t>(r)].need = k;
  }
  QuickSelect out;
  const bool two = !shuffled.s1.empty();
  auto value_at = [&](std::int64_t r, std::int64_t pos, std::vector<Ring>& s0, std::vector<Ring>& s1) {
    const auto i = static_cast<std::size_t>(r * 2 * cols + pos);
    s0.push_back(shuffled.s0[i]);
    if (two) s1.push_back(shuffled.s1[i]);
  };
  while (true) {
    // Rows still undecided: compare every other candidate with the pivot (is it larger?).
    std::vector<std::int64_t> row_of;
    Share lhs{Shape{0}, {}, {}, a.cost_only}, rhs{Shape{0}, {}, {}, a.cost_only};
    std::int64_t m = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      const Range& rg = ranges[static_cast<std::size_t>(r)];
      if (rg.need == 0 || static_cast<std::int64_t>(rg.items.size()) <= rg.need) continue;
      for (std::size_t t = 1; t < rg.items.size(); ++t) {
        if (data) {
          value_at(r, rg.items[0], lhs.s0, lhs.s1);
          value_at(r, rg.items[t], rhs.s0, rhs.s1);
        }
        row_of.push_back(r);
        ++m;
      }
    }
    if (m == 0) break;
    lhs.shape = rhs.shape = Shape{m};
    out.compared.push_back(m);
    const Share bigger = co_await less_than(lhs, rhs);  // pivot < item
    RingTensor bits = co_await reveal_as(bigger, "quickselect comparison bits");
    co_await share_public(bits);
    // Partition each active row around its pivot.
    std::size_t at = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      Range& rg = ranges[static_cast<std::size_t>(r)];
      if (rg.need == 0 || static_cast<std::int64_t>(rg.items.size()) <= rg.need) continue;
      std::vector<std::int64_t> above, below;
      for (std::size_t t = 1; t < rg.items.size(); ++t, ++at) {
        // In cost mode nothing is revealed: partition as if the pivot were the median.
        const bool up = !bits.data.empty() ? bits.data[at] == 1 : (t % 2 == 0);
        (up ? above : below).push_back(rg.items[t]);
      }
      const auto na = static_cast<std::int64_t>(above.size());
      if (na >= rg.need) {
        rg.items = std::move(above);
      } else {
        auto& ch = chosen[static_cast<std::size_t>(r)];
        ch.insert(ch.end(), above.begin(), above.end());
        ch.push_back(rg.items[0]);  // the pivot
        rg.need -= na + 1;
        rg.items = std::move(below);
      }
    }
  }
  // Rows whose remaining range is exactly what is needed take it whole.
  for (std::int64_t r = 0; r < rows; ++r) {
    Range& rg = ranges[static_cast<std::size_t>(r)];
    auto& ch = chosen[static_cast<std::size_t>(r)];
    for (std::int64_t t = 0; t < rg.need; ++t) ch.push_back(rg.items[static_cast<std::size_t>(t)]);
  }
  out.values = Share{Shape{rows, k}, {}, {}, a.cost_only};
  out.indices = Share{Shape{rows, k}, {}, {}, a.cost_only};
  if (data) {
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t pos : chosen[static_cast<std::size_t>(r)]) {
        value_at(r, pos, out.values.s0, out.values.s1);
        const auto i = static_cast<std::size_t>((r * 2 + 1) * cols + pos);
        out.indices.s0.push_back(shuffled.s0[i]);
        if (two) out.indices.s1.push_back(shuffled.s1[i]);
      }
  }
  co_return out;
}

}  // namespace kvsim::protocols
