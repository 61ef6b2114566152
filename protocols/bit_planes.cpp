// protocols/bit_planes.cpp — bit-plane transposes and the carry-out tree.
#include "protocols/bit_planes.h"

#include <algorithm>
#include <stdexcept>

#include "protocols/boolean_words.h"

namespace kvsim::protocols {

namespace {
// In place: bit j of a[i] moves to bit i of a[j] (recursive block swaps, 6 steps of 32).
void transpose64(Ring a[64]) {
  Ring m = 0x00000000FFFFFFFFULL;
  for (int j = 32; j != 0; j >>= 1, m ^= (m << j)) {
    for (int k = 0; k < 64; k = ((k | j) + 1) & ~j) {
      const Ring t = ((a[k] >> j) ^ a[k | j]) & m;
      a[k | j] ^= t;
      a[k] ^= t << j;
    }
  }
}
}  // namespace

std::vector<Ring> to_planes(const std::vector<Ring>& values, int bits) {
  const std::size_t n = values.size(), W = plane_words(n);
  std::vector<Ring> out(static_cast<std::size_t>(bits) * W);
  Ring block[64];
  for (std::size_t w = 0; w < W; ++w) {
    for (std::size_t e = 0; e < 64; ++e) block[e] = 64 * w + e < n ? values[64 * w + e] : 0;
    transpose64(block);
    for (int k = 0; k < bits; ++k) out[static_cast<std::size_t>(k) * W + w] = block[k];
  }
  return out;
}

Share take_top_plane(Share& planes, std::size_t W) {
  Share top = gather_planes(planes, {63}, W);
  planes.shape = Shape{static_cast<std::int64_t>(63 * W)};
  if (!planes.s0.empty()) planes.s0.resize(63 * W);
  if (!planes.s1.empty()) planes.s1.resize(63 * W);
  return top;
}

std::vector<Ring> plane_bits(const Ring* plane, std::size_t n) {
  std::vector<Ring> out(n);
  for (std::size_t j = 0; j < n; ++j) out[j] = (plane[j / 64] >> (j % 64)) & 1;
  return out;
}

Share gather_planes(const Share& s, const std::vector<int>& planes, std::size_t W) {
  Share out{Shape{static_cast<std::int64_t>(planes.size() * W)}, {}, {}, s.cost_only};
  if (!has_data(s)) return out;
  auto pick = [&](const std::vector<Ring>& from, std::vector<Ring>& to) {
    if (from.empty()) return;
    to.reserve(planes.size() * W);
    for (int k : planes) {
      const auto at = static_cast<std::ptrdiff_t>(static_cast<std::size_t>(k) * W);
      to.insert(to.end(), from.begin() + at, from.begin() + at + static_cast<std::ptrdiff_t>(W));
    }
  };
  pick(s.s0, out.s0);
  pick(s.s1, out.s1);
  return out;
}

std::vector<int> carry_tree_pairs(int leaves) {
  std::vector<int> pairs;
  for (int l = leaves; l > 1; l = l / 2 + l % 2) pairs.push_back(l / 2);
  return pairs;
}

int carry_tree_and_planes(int leaves) {
  int planes = 0;
  for (int p : carry_tree_pairs(leaves)) planes += 2 * p - 1;
  return planes;
}

sim::Task<Share> carry_out(Share g, Share p, int leaves, std::size_t W, AndPairs and_pairs) {
  if (leaves < 1) throw std::invalid_argument("carry_out: no leaves");
  int live = leaves;
  while (live > 1) {
    const int pairs = live / 2;
    std::vector<int> hi, lo, lo_above_first;
    for (int i = 0; i < pairs; ++i) {
      hi.push_back(2 * i + 1);
      lo.push_back(2 * i);
      if (i > 0) lo_above_first.push_back(2 * i);
    }
    const Share a = gather_planes(p, hi, W), b = gather_planes(g, lo, W), c = gather_planes(p, lo_above_first, W);
    const std::pair<Share, Share> ands = co_await and_pairs(a, b, c);
    // The next level's nodes: G = G_hi ^ (P_hi & G_lo), P = P_hi & P_lo, an odd top node carried.
    // The lowest node's P is never read (it is never the high half of a pair): zeros stand in.
    const bool odd = live % 2 == 1;
    const std::size_t next_planes = static_cast<std::size_t>(pairs) + (odd ? 1 : 0);
    Share next_g{Shape{static_cast<std::int64_t>(next_planes * W)}, {}, {}, g.cost_only || ands.first.cost_only};
    Share next_p{next_g.shape, {}, {}, next_g.cost_only};
    if (has_data(g) && has_data(ands.first)) {
      auto level = [&](const std::vector<Ring>& gc, const std::vector<Ring>& pc, const std::vector<Ring>& ab,
                       const std::vector<Ring>& ac, std::vector<Ring>& ng, std::vector<Ring>& np) {
        if (gc.empty()) return;
        ng.resize(next_planes * W);
        np.assign(next_planes * W, 0);
        for (int i = 0; i < pairs; ++i) {
          const std::size_t from = static_cast<std::size_t>(2 * i + 1) * W, to = static_cast<std::size_t>(i) * W;
          for (std::size_t w = 0; w < W; ++w) ng[to + w] = gc[from + w] ^ ab[to + w];
          if (i > 0)
            std::copy_n(ac.begin() + static_cast<std::ptrdiff_t>((static_cast<std::size_t>(i) - 1) * W), W,
                        np.begin() + static_cast<std::ptrdiff_t>(to));
        }
        if (odd) {
          const auto from = static_cast<std::ptrdiff_t>(static_cast<std::size_t>(live - 1) * W);
          const auto to = static_cast<std::ptrdiff_t>(static_cast<std::size_t>(pairs) * W);
          std::copy_n(gc.begin() + from, W, ng.begin() + to);
          std::copy_n(pc.begin() + from, W, np.begin() + to);
        }
      };
      level(g.s0, p.s0, ands.first.s0, ands.second.s0, next_g.s0, next_p.s0);
      level(g.s1, p.s1, ands.first.s1, ands.second.s1, next_g.s1, next_p.s1);
    }
    g = std::move(next_g);
    p = std::move(next_p);
    live = pairs + (odd ? 1 : 0);
  }
  co_return g;
}

}  // namespace kvsim::protocols
