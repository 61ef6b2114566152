// protocols/quickselect.cpp — SPU's top-k: shuffle, then QuickSelect with revealed comparisons.
//
// Shares are laid out as (rows, fields, cols): field 0 the values, field 1 their indices.
// ABY3's shuffle (Aby3::shuffle_rows) applies three permutations, each known to one pair of
// parties and unknown to the third: for the pair (A, B = A+1), the sharing becomes 2-out-of-2
// (A: x_A + x_{A+1}, B: x_{A+2}), both permute, and they re-share with masks from the keys each
// shares with C = A+2, exchanging one masked vector (1 round). C learns nothing new, and A and B
// see only values masked by a key they do not hold.
#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "protocols/families.h"

namespace kvsim::protocols {

sim::Task<RingTensor> Protocol::reveal_as(const Share& x, std::string why) {
  RingTensor out = co_await reveal(x);
  if (!reveals_.empty()) reveals_.back().op = std::move(why);
  co_return out;
}

sim::Task<Share> Protocol::trunc_exact(const Share&, int) {
  throw std::logic_error(std::string(family()) + ": exact truncation is not implemented for this family yet");
  co_return Share{};
}

sim::Task<Share> Protocol::shuffle_rows(const Share&, std::int64_t, std::int64_t, std::int64_t) {
  throw std::logic_error(std::string(family()) + ": secret shuffle is not implemented for this family yet");
  co_return Share{};
}

sim::Task<Share> Plaintext::shuffle_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t fields) {
  // The reference applies one public random permutation per row (from the shared seed).
  Share out = a;
  if (!has_data(a)) co_return out;
  Prg prg(derive_key(seed_, 7, 7, 99));
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::vector<std::int64_t> perm = random_permutation(prg, cols);
    for (std::int64_t f = 0; f < fields; ++f)
      for (std::int64_t c = 0; c < cols; ++c)
        out.s0[static_cast<std::size_t>((r * fields + f) * cols + c)] = a.s0[static_cast<std::size_t>((r * fields + f) * cols + perm[static_cast<std::size_t>(c)])];
  }
  co_return out;
}

sim::Task<Share> Aby3::shuffle_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t fields) {
  Share cur = a;
  const std::size_t n = static_cast<std::size_t>(a.size());
  for (int A = 0; A < 3; ++A) {
    const int B = (A + 1) % 3, C = (A + 2) % 3;
    const bool data = has_data(cur);
    if (id() == C) {
      // z_A from the key shared with A (= next of C), z_C from the key shared with B (= prev of C).
      Share out{cur.shape, {}, {}, cur.cost_only};
      if (data) {
        out.s1 = prg_next_.next(n);  // z_A: C holds (z_C, z_A)
        out.s0 = prg_prev_.next(n);  // z_C
      }
      cur = std::move(out);
      continue;
    }
    // A and B: the permutations from the key they share; the masks from the keys shared with C.
    std::vector<Ring> mine, mask;
    if (data) {
      Prg& pair = id() == A ? prg_next_ : prg_prev_;
      std::vector<std::vector<std::int64_t>> perms;
      for (std::int64_t r = 0; r < rows; ++r) perms.push_back(random_permutation(pair, cols));
      std::vector<Ring> y(n);
      for (std::size_t i = 0; i < n; ++i) y[i] = id() == A ? cur.s0[i] + cur.s1[i] : cur.s1[i];
      mine = permute_rows(y, perms, rows, cols, fields);
      mask = (id() == A ? prg_prev_ : prg_next_).next(n);  // r_AC at A, r_BC at B
      for (std::size_t i = 0; i < n; ++i) mine[i] -= mask[i];
    }
    const int other = id() == A ? B : A;
    auto msgs = send_to(other, mine, n * 8);
    auto srcs = recv_from(other);
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "shuffle");
    Share out{cur.shape, {}, {}, cur.cost_only};
    if (data) {
      std::vector<Ring> zb(n);
      for (std::size_t i = 0; i < n; ++i) zb[i] = mine[i] + got[0][i];  // u + v
      if (id() == A) {
        out.s0 = std::move(mask);  // z_A = r_AC
        out.s1 = std::move(zb);    // z_B
      } else {
        out.s0 = std::move(zb);    // z_B
        out.s1 = std::move(mask);  // z_C = r_BC
      }
    }
    cur = std::move(out);
  }
  co_return cur;
}

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

OpCost Protocol::declared_quickselect(std::int64_t rows, std::int64_t cols, const std::vector<std::int64_t>& compared) const {
  OpCost c = declared("shuffle", rows * 2 * cols);
  for (std::int64_t m : compared) {
    for (const OpCost& part : {declared("msb", m), declared("reveal", m), declared("share_public", m)}) {
      for (std::size_t p = 0; p < c.rounds.size(); ++p) {
        c.rounds[p] += part.rounds[p];
        c.bytes[p] += part.bytes[p];
      }
      c.offline_bytes += part.offline_bytes;
    }
  }
  return c;
}

}  // namespace kvsim::protocols
