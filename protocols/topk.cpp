// protocols/topk.cpp — top-k by an oblivious bitonic sorting network, written once.
//
// Each row is padded to a power of two P with a public very negative value (index -1) and sorted
// in descending order by log P (log P + 1) / 2 stages of compare-exchange; one stage is one
// batched comparison (msb) and one batched multiplication that swaps values and indices together.
#include <stdexcept>

#include "protocols/protocol.h"

namespace kvsim::protocols {

namespace {

std::int64_t pow2_at_least(std::int64_t n) {
  std::int64_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

struct Columns {
  std::vector<Ring> s0, s1;  // row-major (rows, width)
};

}  // namespace

sim::Task<Protocol::TopK> Protocol::topk_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t k) {
  if (k < 1 || k > cols) throw std::invalid_argument("topk: k must be in [1, cols]");
  const std::int64_t P = pow2_at_least(cols);
  const bool co = !has_data(a);  // cost mode, or a party holding no shares (the dealer)
  const bool two = !a.s1.empty();
  const std::size_t total = static_cast<std::size_t>(rows * P);
  // Values and indices, padded; the padding and the indices are public tensors added with the
  // family's add_public (which puts a public constant into exactly one component).
  Share vals{Shape{rows, P}, {}, {}, a.cost_only}, idx{Shape{rows, P}, {}, {}, a.cost_only};
  if (!co) {
    vals.s0.assign(total, 0);
    idx.s0.assign(total, 0);
    if (two) vals.s1.assign(total, 0), idx.s1.assign(total, 0);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) {
        vals.s0[static_cast<std::size_t>(r * P + c)] = a.s0[static_cast<std::size_t>(r * cols + c)];
        if (two) vals.s1[static_cast<std::size_t>(r * P + c)] = a.s1[static_cast<std::size_t>(r * cols + c)];
      }
  }
  RingTensor pad(Shape{rows, P}), iota(Shape{rows, P});
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < P; ++c) {
      pad.data[static_cast<std::size_t>(r * P + c)] = c < cols ? 0 : encode_fixed(-1.0e6, frac_bits_);
      iota.data[static_cast<std::size_t>(r * P + c)] = c < cols ? static_cast<Ring>(c) : static_cast<Ring>(-1);
    }
  vals = add_public(vals, pad);
  idx = add_public(idx, iota);

  for (std::int64_t kk = 2; kk <= P; kk <<= 1) {
    for (std::int64_t j = kk >> 1; j > 0; j >>= 1) {
      // The pairs (i, i ^ j) with i < i ^ j, all rows at once.
      std::vector<std::size_t> lo, hi;
      std::vector<bool> descending;
      for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t i = 0; i < P; ++i) {
          const std::int64_t l = i ^ j;
          if (l <= i) continue;
          lo.push_back(static_cast<std::size_t>(r * P + i));
          hi.push_back(static_cast<std::size_t>(r * P + l));
          descending.push_back((i & kk) == 0);
        }
      const std::int64_t m = static_cast<std::int64_t>(lo.size());
      auto pick = [&](const Share& s, const std::vector<std::size_t>& at) {
        Share out{Shape{m}, {}, {}, a.cost_only};
        if (co) return out;
        for (auto p : at) {
          out.s0.push_back(s.s0[p]);
          if (two) out.s1.push_back(s.s1[p]);
        }
        return out;
      };
      const Share A = pick(vals, lo), B = pick(vals, hi), Ai = pick(idx, lo), Bi = pick(idx, hi);
      const Share lt_bit = co_await less_than(A, B);  // 1 where A < B
      Share lt = co_await arith_bit(lt_bit);
      // Swap where the order is wrong: descending pairs swap when A < B, ascending when not.
      RingTensor flip(Shape{m}), sign(Shape{m});
      for (std::int64_t t = 0; t < m; ++t) {
        flip.data[static_cast<std::size_t>(t)] = descending[static_cast<std::size_t>(t)] ? 0 : 1;
        sign.data[static_cast<std::size_t>(t)] = descending[static_cast<std::size_t>(t)] ? 1 : static_cast<Ring>(-1);
      }
      Share swap = lt;
      if (!co) {
        for (std::size_t t = 0; t < swap.s0.size(); ++t) swap.s0[t] *= sign.data[t];
        for (std::size_t t = 0; t < swap.s1.size(); ++t) swap.s1[t] *= sign.data[t];
      }
      swap = add_public(swap, flip);  // descending: lt; ascending: 1 - lt
      // One multiplication for values and indices together.
      Share both_swap{Shape{2 * m}, swap.s0, swap.s1, a.cost_only}, both_diff{Shape{2 * m}, {}, {}, a.cost_only};
      if (!co) {
        both_swap.s0.insert(both_swap.s0.end(), swap.s0.begin(), swap.s0.end());
        if (two) both_swap.s1.insert(both_swap.s1.end(), swap.s1.begin(), swap.s1.end());
        const Share dv = sub(B, A), di = sub(Bi, Ai);
        both_diff.s0 = dv.s0;
        both_diff.s0.insert(both_diff.s0.end(), di.s0.begin(), di.s0.end());
        if (two) {
          both_diff.s1 = dv.s1;
          both_diff.s1.insert(both_diff.s1.end(), di.s1.begin(), di.s1.end());
        }
      }
      const Share delta = co_await mul(both_swap, both_diff);
      if (!co) {
        for (std::int64_t t = 0; t < m; ++t) {
          const auto u = static_cast<std::size_t>(t), v = static_cast<std::size_t>(t + m);
          vals.s0[lo[u]] += delta.s0[u];
          vals.s0[hi[u]] -= delta.s0[u];
          idx.s0[lo[u]] += delta.s0[v];
          idx.s0[hi[u]] -= delta.s0[v];
          if (two) {
            vals.s1[lo[u]] += delta.s1[u];
            vals.s1[hi[u]] -= delta.s1[u];
            idx.s1[lo[u]] += delta.s1[v];
            idx.s1[hi[u]] -= delta.s1[v];
          }
        }
      }
    }
  }
  TopK out{Share{Shape{rows, k}, {}, {}, a.cost_only}, Share{Shape{rows, k}, {}, {}, a.cost_only}};
  if (!co) {
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < k; ++c) {
        const auto at = static_cast<std::size_t>(r * P + c);
        out.values.s0.push_back(vals.s0[at]);
        out.indices.s0.push_back(idx.s0[at]);
        if (two) {
          out.values.s1.push_back(vals.s1[at]);
          out.indices.s1.push_back(idx.s1[at]);
        }
      }
  }
  co_return out;
}

}  // namespace kvsim::protocols
