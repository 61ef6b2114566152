// protocols/aby3/compare.cpp — ABY3's msb (and with it less-than, relu, max) on bit planes, in
// 9 rounds and about 31 bytes per element and party.
//
// msb(x) for x = x_0 + x_1 + x_2 (party i holds x_i, x_{i+1}) is the top bit of M + N, where
// party 0 knows M = x_0 + x_1 and parties 1 and 2 know N = x_2; only the carry into bit 63 is
// needed, so a carry-out tree over bits 0..62 replaces a full adder, and every gate is a bit of
// a plane word (bit_planes.h). The result is turned into an arithmetic bit by opening it masked
// with a random bit r that the parties hold both XOR- and arithmetically shared; r's sharing is
// built inside the first two rounds, so it adds bytes but no round.
//
//   round 1  party 0 XOR-shares M's 64 planes: m1 from the key of parties 0 and 1, m_0 = M ^ m1
//            to party 2 (component 2 is zero); and inputs s = r_0 ^ r_1 arithmetically the same
//            way (e1 from that key, e0 = s - e1 to party 2). 64 planes + n words, party 0 only.
//   round 2  the generates G = M & N of bits 0..62. With N in component 2 only, party 0's term
//            is zero and its mask comes from the key it shares with party 2, so party 0 sends
//            nothing: party 1 sends m1 N ^ mask1 to party 0, party 2 sends m_0 N ^ mask0 ^ mask1
//            to party 1. Beside it, s t for t = r_2 (held by parties 1 and 2): party 1 knows
//            e1 t, party 2 knows e0 t; both send their part, masked by the key of parties 1 and 2,
//            to party 0, so that [r] = [s] + [t] - 2 [s t] is replicated. 63 planes + n words,
//            parties 1 and 2.
//   3 .. 8   the carry-out tree: 118 ANDed planes over 6 levels.
//   round 9  open d = msb ^ r (each party sends one plane); [msb] = d + (1 - 2 d) [r].
#include "protocols/aby3/aby3.h"
#include "protocols/bit_planes.h"
#include "protocols/boolean_words.h"

namespace kvsim::protocols {

namespace {
constexpr int kLeaves = 63;  // bits 0..62 carry into bit 63

std::vector<Ring> and_planes(const std::vector<Ring>& a, const std::vector<Ring>& b, std::size_t words) {
  std::vector<Ring> out(words);
  for (std::size_t i = 0; i < words; ++i) out[i] = a[i] & b[i];
  return out;
}
}  // namespace

sim::Task<std::pair<Share, Share>> Aby3::and_plane_pairs(const Share& a, const Share& b, const Share& c) {
  // Both ANDs of a level in one re-share: (a, a without its first plane) & (b, c).
  const std::size_t ab = static_cast<std::size_t>(a.size()), rest = static_cast<std::size_t>(c.size());
  const Share a_rest = slice(a, ab - rest, rest, Shape{static_cast<std::int64_t>(rest)});
  const Share lhs = concat(a, a_rest), rhs = concat(b, c);
  const Share both = co_await and_words(lhs, rhs, "msb");
  co_return std::make_pair(slice(both, 0, ab, a.shape), slice(both, ab, rest, c.shape));
}

sim::Task<Share> Aby3::do_msb(const Share& x) {
  const std::size_t n = static_cast<std::size_t>(x.size()), W = plane_words(n);
  const std::size_t gw = kLeaves * W;  // words of the 63 generate planes
  const bool data = has_data(x);
  const int me = id();

  // Correlated randomness, drawn in this order by both holders of each pairwise key.
  //   k01: m1 (64 planes), r1 (1 plane), e1 (n);  k20: r0 (1 plane), mask0 (63 planes);
  //   k12: r2 (1 plane), mask1 (63 planes), H, J (n each).
  std::vector<Ring> m1, r1, e1, r0, mask0, r2, mask1, H, J;
  if (data) {
    Prg* k01 = me == 0 ? &prg_next_ : me == 1 ? &prg_prev_ : nullptr;
    Prg* k20 = me == 2 ? &prg_next_ : me == 0 ? &prg_prev_ : nullptr;
    Prg* k12 = me == 1 ? &prg_next_ : me == 2 ? &prg_prev_ : nullptr;
    if (k01) m1 = k01->next(64 * W), r1 = k01->next(W), e1 = k01->next(n);
    if (k20) r0 = k20->next(W), mask0 = k20->next(gw);
    if (k12) r2 = k12->next(W), mask1 = k12->next(gw), H = k12->next(n), J = k12->next(n);
  }

  // Round 1: party 0 -> party 2.
  std::vector<Ring> m0, e0;
  if (me == 0) {
    std::vector<Ring> payload;
    if (data) {
      std::vector<Ring> sum(n);
      for (std::size_t i = 0; i < n; ++i) sum[i] = x.s0[i] + x.s1[i];
      m0 = to_planes(sum, 64);
      for (std::size_t i = 0; i < m0.size(); ++i) m0[i] ^= m1[i];
      e0.resize(n);
      for (std::size_t j = 0; j < n; ++j) e0[j] = (((r0[j / 64] ^ r1[j / 64]) >> (j % 64)) & 1) - e1[j];
      payload = m0;
      payload.insert(payload.end(), e0.begin(), e0.end());
    }
    auto msgs = send_to(2, std::move(payload), (64 * W + n) * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "msb");
  } else {
    auto msgs = send_nothing();
    auto srcs = me == 2 ? recv_from(0) : recv_nothing();
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "msb");
    if (me == 2 && data) {
      m0.assign(got[0].begin(), got[0].begin() + static_cast<std::ptrdiff_t>(64 * W));
      e0.assign(got[0].begin() + static_cast<std::ptrdiff_t>(64 * W), got[0].end());
    }
  }
  const std::vector<Ring> planes_n = data && me != 0 ? to_planes(me == 1 ? x.s1 : x.s0, 64) : std::vector<Ring>{};
  std::vector<Ring> t(n);  // r2 per element, at parties 1 and 2
  if (data && me != 0)
    for (std::size_t j = 0; j < n; ++j) t[j] = (r2[j / 64] >> (j % 64)) & 1;

  // Round 2: the generates and the product s t.
  std::vector<Ring> g_own, g_next, f0, f1;
  if (me == 0) {
    auto msgs = send_nothing();
    std::vector<int> srcs = {1, 2};
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "msb");
    if (data) {
      g_own = mask0;
      g_next.assign(got[0].begin(), got[0].begin() + static_cast<std::ptrdiff_t>(gw));
      f1.assign(got[0].begin() + static_cast<std::ptrdiff_t>(gw), got[0].end());
      f0 = std::move(got[1]);
    }
  } else if (me == 1) {
    std::vector<Ring> payload;
    if (data) {
      g_own = and_planes(m1, planes_n, gw);
      for (std::size_t i = 0; i < gw; ++i) g_own[i] ^= mask1[i];
      f1.resize(n);
      for (std::size_t j = 0; j < n; ++j) f1[j] = e1[j] * t[j] - H[j] + J[j];
      payload = g_own;
      payload.insert(payload.end(), f1.begin(), f1.end());
    }
    auto msgs = send_to(0, std::move(payload), (gw + n) * 8);
    auto srcs = recv_from(2);
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "msb");
    if (data) g_next = std::move(got[0]);
  } else {
    if (data) {
      g_own = and_planes(m0, planes_n, gw);
      for (std::size_t i = 0; i < gw; ++i) g_own[i] ^= mask0[i] ^ mask1[i];
      f0.resize(n);
      for (std::size_t j = 0; j < n; ++j) f0[j] = e0[j] * t[j] - J[j];
      g_next = mask0;
    }
    auto msgs = send_to(1, g_own, gw * 8, 0, f0, n * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "msb");
  }

  // The shares every later step works on. M's components are (m0, m1, 0), N's (0, 0, N).
  Share g{Shape{static_cast<std::int64_t>(gw)}, {}, {}, !data}, p_all{Shape{static_cast<std::int64_t>(64 * W)}, {}, {}, !data};
  Share r_bool{Shape{static_cast<std::int64_t>(W)}, {}, {}, !data}, r_arith{x.shape, {}, {}, !data};
  if (data) {
    g.s0 = std::move(g_own);
    g.s1 = std::move(g_next);
    std::vector<Ring> c0(n), c1(n), c2(n);
    for (std::size_t j = 0; j < n; ++j) {
      if (me != 2) c1[j] = e1[j] - 2 * f1[j];
      if (me != 1) c0[j] = e0[j] - 2 * f0[j];
      if (me != 0) c2[j] = t[j] - 2 * H[j];
    }
    if (me == 0) p_all.s0 = m0, p_all.s1 = m1, r_bool.s0 = r0, r_bool.s1 = r1, r_arith.s0 = c0, r_arith.s1 = c1;
    if (me == 1) p_all.s0 = m1, p_all.s1 = planes_n, r_bool.s0 = r1, r_bool.s1 = r2, r_arith.s0 = c1, r_arith.s1 = c2;
    if (me == 2) p_all.s0 = planes_n, p_all.s1 = m0, r_bool.s0 = r2, r_bool.s1 = r0, r_arith.s0 = c2, r_arith.s1 = c0;
  }
  std::vector<int> low(kLeaves);
  for (int k = 0; k < kLeaves; ++k) low[static_cast<std::size_t>(k)] = k;
  const Share p = gather_planes(p_all, low, W), top = gather_planes(p_all, {63}, W);

  // Rounds 3 .. 8.
  AndPairs ands = [this](const Share& a, const Share& b, const Share& c) { return and_plane_pairs(a, b, c); };
  const Share carry = co_await carry_out(g, p, kLeaves, W, ands);

  // Round 9: open msb ^ r like a reveal (s0 to next); [msb] = d + (1 - 2 d) [r].
  const Share masked = xor_words(xor_words(top, carry), r_bool);
  auto msgs = send_to(next(), data ? masked.s0 : std::vector<Ring>{}, W * 8);
  auto srcs = recv_from(prev());
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "msb");
  if (!data) co_return r_arith;
  std::vector<Ring> d_plane(W);
  for (std::size_t w = 0; w < W; ++w) d_plane[w] = masked.s0[w] ^ masked.s1[w] ^ got[0][w];
  const std::vector<Ring> d = plane_bits(d_plane.data(), n);
  Share out = r_arith;
  for (std::size_t j = 0; j < n; ++j) {
    const Ring sign = 1 - 2 * d[j];
    out.s0[j] *= sign;
    out.s1[j] *= sign;
  }
  // The public d joins component 0: party 0's first, party 2's second.
  if (me == 0) for (std::size_t j = 0; j < n; ++j) out.s0[j] += d[j];
  if (me == 2) for (std::size_t j = 0; j < n; ++j) out.s1[j] += d[j];
  co_return out;
}

}  // namespace kvsim::protocols
