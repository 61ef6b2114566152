// protocols/semi2k/compare.cpp — semi2k's msb (and with it less-than, relu, max) and eqz on bit
// planes: msb in 8 rounds and about 31 bytes per element and computing party, eqz in 7 and 16.
//
// x = x_0 + x_1 with x_0 at party 0 and x_1 at party 1: msb(x) is the top bit of that sum, whose
// only unknown is the carry into bit 63 (a carry-out tree over bits 0..62, every gate a bit of a
// plane word, bit_planes.h). Preprocessing comes from the dealer, offline, in one message to
// party 1 (party 0's part and party 1's masks come from the keys each shares with the dealer):
//   - for the generates G = x_0 & x_1 of bits 0..62, whose inputs are each known to one party: a
//     private-input triple, party 0 holding (a, c_0), party 1 (b, c_1) with c_0 ^ c_1 = a & b, so
//     each party opens only its own input (one plane bit per gate);
//   - for each level of the tree, triples sharing their first operand (P_hi & G_lo and
//     P_hi & P_lo open P_hi once: three bits per node, two at the lowest node);
//   - a random bit r, XOR-shared and arithmetically shared, to turn the result into an
//     arithmetic bit by opening msb ^ r.
//   round 1  open x_0 ^ a and x_1 ^ b (63 planes each way);
//   2 .. 7   the tree's six levels (180 opened planes);
//   round 8  open d = msb ^ r (one plane); [msb] = d + (1 - 2 d) [r].
#include "protocols/bit_planes.h"
#include "protocols/boolean_words.h"
#include "protocols/semi2k/semi2k.h"

namespace kvsim::protocols {

namespace {
constexpr int kLeaves = 63;
}  // namespace

sim::Task<std::pair<Share, Share>> Semi2kDealer::and_plane_pairs(const Share& a, const Share& b, const Share& c,
                                                                 const PlaneTriple& t, const char* tag) {
  // Beaver with a shared first operand: open e = a ^ ta, f = b ^ tb, f' = c ^ tb' together.
  const std::size_t na = static_cast<std::size_t>(a.size()), nc = static_cast<std::size_t>(c.size());
  const bool data = has_data(a) && has_data(b) && (c.size() == 0 || has_data(c));
  std::vector<Ring> mine;
  if (data) {
    mine.resize(2 * na + nc);
    for (std::size_t i = 0; i < na; ++i) {
      mine[i] = a.s0[i] ^ t.a[i];
      mine[na + i] = b.s0[i] ^ t.b[i];
    }
    for (std::size_t i = 0; i < nc; ++i) mine[2 * na + i] = c.s0[i] ^ t.b2[i];
  }
  const int other = 1 - id();
  auto msgs = send_to(other, mine, (2 * na + nc) * 8);
  auto srcs = recv_from(other);
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), tag);
  Share ab{a.shape, {}, {}, !data}, ac{c.shape, {}, {}, !data};
  if (!data) co_return std::make_pair(std::move(ab), std::move(ac));
  const std::size_t skip = na - nc;  // c pairs with a's planes after the first
  ab.s0.resize(na);
  ac.s0.resize(nc);
  for (std::size_t i = 0; i < na; ++i) {
    const Ring e = mine[i] ^ got[0][i], f = mine[na + i] ^ got[0][na + i];
    ab.s0[i] = t.c[i] ^ (e & t.b[i]) ^ (f & t.a[i]) ^ (id() == 0 ? e & f : 0);
  }
  for (std::size_t i = 0; i < nc; ++i) {
    const Ring e = mine[skip + i] ^ got[0][skip + i], f = mine[2 * na + i] ^ got[0][2 * na + i];
    ac.s0[i] = t.c2[i] ^ (e & t.b2[i]) ^ (f & t.a[skip + i]) ^ (id() == 0 ? e & f : 0);
  }
  co_return std::make_pair(std::move(ab), std::move(ac));
}

// The preprocessing of a plane circuit: for each level, `pairs` first operands and as many
// second ones, `extra` second operands sharing the last `extra` first ones; optionally the
// private-input triple of msb's generates; and the random bit. Draw order on the key of party p
// and the dealer: party 0: [g0 (a, c0)]; per level (a, b, b2, c, c2); r_0 (1 plane), [r]_0 (n).
// Party 1: [g0 (b)]; per level (a, b, b2); r_1 (1 plane). The dealer sends party 1 its c planes
// and its share of [r] in one offline message.
sim::Task<Semi2kDealer::PlaneMaterial> Semi2kDealer::deal_planes(const PlanePlan& plan, std::size_t n, bool material) {
  const std::size_t W = plane_words(n), gw = static_cast<std::size_t>(plan.private_generates) * W;
  std::size_t c_words = gw;
  for (const auto& [pairs, extra] : plan.levels) c_words += static_cast<std::size_t>(pairs + extra) * W;
  auto draw_level = [&](Prg& prg, int pairs, int extra, bool with_c) {
    PlaneTriple t;
    const auto p = static_cast<std::size_t>(pairs) * W, p2 = static_cast<std::size_t>(extra) * W;
    t.a = prg.next(p), t.b = prg.next(p), t.b2 = prg.next(p2);
    if (with_c) t.c = prg.next(p), t.c2 = prg.next(p2);
    return t;
  };
  PlaneMaterial m;
  if (is_dealer()) {
    std::vector<Ring> to_party1;
    if (material) {
      to_party1.reserve(c_words + n);
      const std::vector<Ring> a = prg_dealer_.next(gw), c0 = prg_dealer_.next(gw), b = prg_dealer1_.next(gw);
      for (std::size_t i = 0; i < gw; ++i) to_party1.push_back((a[i] & b[i]) ^ c0[i]);
      for (const auto& [pairs, extra] : plan.levels) {
        const PlaneTriple t0 = draw_level(prg_dealer_, pairs, extra, true), t1 = draw_level(prg_dealer1_, pairs, extra, false);
        const std::size_t skip = t0.a.size() - t0.b2.size();
        for (std::size_t i = 0; i < t0.a.size(); ++i) to_party1.push_back(((t0.a[i] ^ t1.a[i]) & (t0.b[i] ^ t1.b[i])) ^ t0.c[i]);
        for (std::size_t i = 0; i < t0.b2.size(); ++i)
          to_party1.push_back(((t0.a[skip + i] ^ t1.a[skip + i]) & (t0.b2[i] ^ t1.b2[i])) ^ t0.c2[i]);
      }
      const std::vector<Ring> r0 = prg_dealer_.next(W), ra0 = prg_dealer_.next(n), r1 = prg_dealer1_.next(W);
      for (std::size_t j = 0; j < n; ++j) to_party1.push_back((((r0[j / 64] ^ r1[j / 64]) >> (j % 64)) & 1) - ra0[j]);
    }
    auto msgs = send_to(1, std::move(to_party1), (c_words + n) * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "offline");
    co_return m;
  }
  if (material) {
    m.g_a = prg_dealer_.next(gw);
    if (id() == 0) m.g_c = prg_dealer_.next(gw);
    for (const auto& [pairs, extra] : plan.levels) m.levels.push_back(draw_level(prg_dealer_, pairs, extra, id() == 0));
    m.r_plane = prg_dealer_.next(W);
    if (id() == 0) m.r_arith = prg_dealer_.next(n);
  } else {
    m.levels.assign(plan.levels.size(), PlaneTriple{});
  }
  if (id() == 1) {
    auto msgs = send_nothing();
    auto srcs = recv_from(kDealer);
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "offline");
    if (material) {
      std::size_t at = 0;
      auto take = [&](std::size_t k) {
        std::vector<Ring> v(got[0].begin() + static_cast<std::ptrdiff_t>(at), got[0].begin() + static_cast<std::ptrdiff_t>(at + k));
        at += k;
        return v;
      };
      m.g_c = take(gw);
      for (PlaneTriple& t : m.levels) t.c = take(t.a.size()), t.c2 = take(t.b2.size());
      m.r_arith = take(n);
    }
  }
  co_return m;
}

sim::Task<Share> Semi2kDealer::open_masked(const Share& result, const PlaneMaterial& m, const Shape& shape, const char* tag) {
  // Open d = result ^ r; [result] = d + (1 - 2 d) [r].
  const std::size_t n = static_cast<std::size_t>(numel(shape)), W = plane_words(n);
  Share masked = result;
  const bool data = has_data(masked);
  if (data) for (std::size_t w = 0; w < W; ++w) masked.s0[w] ^= m.r_plane[w];
  const int other = 1 - id();
  auto msgs = send_to(other, data ? masked.s0 : std::vector<Ring>{}, W * 8);
  auto srcs = recv_from(other);
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), tag);
  Share out{shape, {}, {}, !data};
  if (!data) co_return out;
  std::vector<Ring> d_plane(W);
  for (std::size_t w = 0; w < W; ++w) d_plane[w] = masked.s0[w] ^ got[0][w];
  const std::vector<Ring> d = plane_bits(d_plane.data(), n);
  out.s0.resize(n);
  for (std::size_t j = 0; j < n; ++j) out.s0[j] = (1 - 2 * d[j]) * m.r_arith[j] + (id() == 0 ? d[j] : 0);
  co_return out;
}

sim::Task<Share> Semi2kDealer::do_msb(const Share& x) {
  const std::size_t n = static_cast<std::size_t>(x.size()), W = plane_words(n);
  const std::size_t gw = kLeaves * W;
  PlanePlan plan;
  plan.private_generates = kLeaves;
  for (int pairs : carry_tree_pairs(kLeaves)) plan.levels.emplace_back(pairs, pairs - 1);
  const bool data = !x.cost_only;  // execute mode (the dealer's share holds no data either way)
  PlaneMaterial mat = co_await deal_planes(plan, n, data);
  if (is_dealer()) co_return Share{x.shape, {}, {}, x.cost_only};

  // Round 1: the generates of bits 0..62, each party opening its own addend.
  std::vector<Ring> planes = data ? to_planes(x.s0, 64) : std::vector<Ring>{};
  std::vector<Ring> opened;
  if (data) {
    opened.resize(gw);
    for (std::size_t i = 0; i < gw; ++i) opened[i] = planes[i] ^ mat.g_a[i];
  }
  const int other = 1 - id();
  auto msgs = send_to(other, opened, gw * 8);
  auto srcs = recv_from(other);
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "msb");
  Share g{Shape{static_cast<std::int64_t>(gw)}, {}, {}, !data}, p_all{Shape{static_cast<std::int64_t>(64 * W)}, {}, {}, !data};
  if (data) {
    // Party 0 holds x_0 ^ a = e and its a; party 1 holds b and f = x_1 ^ b.
    g.s0.resize(gw);
    for (std::size_t i = 0; i < gw; ++i) {
      const Ring e = id() == 0 ? opened[i] : got[0][i], f = id() == 0 ? got[0][i] : opened[i];
      g.s0[i] = id() == 0 ? (e & f) ^ (mat.g_a[i] & f) ^ mat.g_c[i] : (e & mat.g_a[i]) ^ mat.g_c[i];
    }
    p_all.s0 = std::move(planes);  // x_0 ^ x_1 per bit: the propagates, and bit 63's sum
  }
  release(opened);
  got.clear();
  // Buffers released early: a fresh process pays a page fault per page of its peak.
  Share p = std::move(p_all);
  const Share top = take_top_plane(p, W);  // p keeps the propagates of planes 0..62

  // Rounds 2 .. 7.
  std::size_t level = 0;
  AndPairs ands = [this, &mat, &level](const Share& a, const Share& b, const Share& c) {
    return and_plane_pairs(a, b, c, mat.levels.at(level++), "msb");
  };
  const Share carry = co_await carry_out(std::move(g), std::move(p), kLeaves, W, ands);
  const Share msb = xor_words(top, carry);
  Share out = co_await open_masked(msb, mat, x.shape, "msb");
  co_return out;
}

sim::Task<Share> Semi2kDealer::do_eqz(const Share& x) {
  // x_0 + x_1 = 0 exactly when x_0 = -x_1: the AND of the 64 planes of NOT(x_0 ^ -x_1), party 0
  // holding NOT x_0's planes and party 1 -x_1's; 6 levels of Beaver ANDs, then the open.
  const std::size_t n = static_cast<std::size_t>(x.size()), W = plane_words(n);
  PlanePlan plan;
  for (int pairs = 32; pairs >= 1; pairs /= 2) plan.levels.emplace_back(pairs, 0);
  const bool data = !x.cost_only;
  PlaneMaterial mat = co_await deal_planes(plan, n, data);
  if (is_dealer()) co_return Share{x.shape, {}, {}, x.cost_only};
  Share level{Shape{static_cast<std::int64_t>(64 * W)}, {}, {}, !data};
  if (data) {
    std::vector<Ring> mine = x.s0;
    if (id() == 1) for (auto& v : mine) v = Ring{0} - v;
    level.s0 = to_planes(mine, 64);
    if (id() == 0) for (auto& v : level.s0) v = ~v;
  }
  const Share none{Shape{0}, {}, {}, !data};
  for (std::size_t l = 0; l < plan.levels.size(); ++l) {
    const int pairs = plan.levels[l].first;
    std::vector<int> lo, hi;
    for (int k = 0; k < pairs; ++k) lo.push_back(2 * k), hi.push_back(2 * k + 1);
    const Share a = gather_planes(level, lo, W), b = gather_planes(level, hi, W);
    const std::pair<Share, Share> r = co_await and_plane_pairs(a, b, none, mat.levels[l], "eqz");
    level = r.first;
  }
  Share out = co_await open_masked(level, mat, x.shape, "eqz");
  co_return out;
}

}  // namespace kvsim::protocols
