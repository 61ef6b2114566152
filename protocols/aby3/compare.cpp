// protocols/aby3/compare.cpp — ABY3's msb (and with it less-than, relu, max) and eqz on bit
// planes: msb in 9 rounds and about 31 bytes per element and party, eqz in 8 rounds and 16-24.
//
// Both look at x = x_0 + x_1 + x_2 (party i holds x_i, x_{i+1}) as M + N, where party 0 knows
// M = x_0 + x_1 and parties 1 and 2 know x_2. Every gate is a bit of a plane word (bit_planes.h).
// - msb is the top bit of M + N with N = x_2: only the carry into bit 63 is needed, so a
//   carry-out tree over bits 0..62 replaces a full adder.
// - eqz: x = 0 exactly when M = -x_2, i.e. when every bit of M ^ (-x_2) is zero: an AND-reduction
//   of the 64 complemented planes.
// The result, one XOR-shared plane, becomes an arithmetic bit by opening it masked with a random
// bit r that the parties hold both XOR- and arithmetically shared (RandomBit); r's arithmetic
// sharing is built inside the first two rounds, so it adds bytes but no round.
//
//   round 1  party 0 XOR-shares M's 64 planes: m1 from the key of parties 0 and 1, m_0 = M ^ m1
//            to party 2 (component 2 is zero); and inputs s = r_0 ^ r_1 the same way (e1 from
//            that key, e0 = s - e1 to party 2). 64 planes + n words, party 0 only.
//   round 2  msb: the generates G = M & N of bits 0..62. With N in component 2 only, party 0's
//            term is zero and its mask comes from the key it shares with party 2, so party 0
//            sends nothing: party 1 sends m1 N ^ mask1 to party 0, party 2 sends
//            m_0 N ^ mask0 ^ mask1 to party 1. eqz: the reduction's first level (32 planes).
//            Beside it, s t for t = r_2 (held by parties 1 and 2): party 1 knows e1 t, party 2
//            knows e0 t; both send their part, masked by the key of parties 1 and 2, to party 0,
//            so that [r] = [s] + [t] - 2 [s t] is replicated (n words each).
//   then     msb: the carry-out tree (118 ANDed planes over 6 levels); eqz: the reduction's
//            other 5 levels (31 planes).
//   last     open d = result ^ r (each party sends one plane); [result] = d + (1 - 2 d) [r].
#include "protocols/aby3/aby3.h"
#include "protocols/bit_planes.h"
#include "protocols/boolean_words.h"

namespace kvsim::protocols {

namespace {
constexpr int kLeaves = 63;  // msb: bits 0..62 carry into bit 63

std::vector<Ring> bit_of(const std::vector<Ring>& plane, std::size_t n) { return plane_bits(plane.data(), n); }
}  // namespace

// The pairwise keys by the parties that hold them, from this party's two.
struct Aby3::PairKeys {
  Prg *k01, *k20, *k12;
  explicit PairKeys(Aby3& p) {
    const int me = p.id();
    k01 = me == 0 ? &p.prg_next_ : me == 1 ? &p.prg_prev_ : nullptr;
    k20 = me == 2 ? &p.prg_next_ : me == 0 ? &p.prg_prev_ : nullptr;
    k12 = me == 1 ? &p.prg_next_ : me == 2 ? &p.prg_prev_ : nullptr;
  }
};

// A random bit r = r_0 ^ r_1 ^ r_2 (component i from a pairwise key) with its arithmetic
// replicated sharing, built from s = r_0 ^ r_1 (party 0's) and t = r_2 (parties 1 and 2's) as
// s + t - 2 s t. Its messages ride in the comparison's first two rounds.
class Aby3::RandomBit {
 public:
  RandomBit(int me, const PairKeys& keys, std::size_t n, bool data) : me_(me), n_(n), data_(data) {
    if (!data) return;
    const std::size_t W = plane_words(n);
    if (keys.k01) r1_ = keys.k01->next(W), e1_ = keys.k01->next(n);
    if (keys.k20) r0_ = keys.k20->next(W);
    if (keys.k12) r2_ = keys.k12->next(W), h_ = keys.k12->next(n), j_ = keys.k12->next(n);
    if (me != 0) t_ = bit_of(r2_, n);
  }
  // Round 1, party 0 -> party 2: e0 = s - e1.
  std::vector<Ring> party0_input() {
    if (!data_) return {};
    const std::vector<Ring> s = bit_of(xor_of(r0_, r1_), n_);
    e0_.resize(n_);
    for (std::size_t j = 0; j < n_; ++j) e0_[j] = s[j] - e1_[j];
    return e0_;
  }
  void received_input(std::vector<Ring> e0) { e0_ = std::move(e0); }  // at party 2
  std::size_t size() const { return n_; }
  // Round 2, parties 1 and 2 -> party 0: f1 = e1 t - H + J, f0 = e0 t - J.
  std::vector<Ring> product_part() {
    if (!data_) return {};
    std::vector<Ring>& f = me_ == 1 ? f1_ : f0_;
    f.resize(n_);
    for (std::size_t j = 0; j < n_; ++j) f[j] = me_ == 1 ? e1_[j] * t_[j] - h_[j] + j_[j] : e0_[j] * t_[j] - j_[j];
    return f;
  }
  void received_parts(std::vector<Ring> f1, std::vector<Ring> f0) { f1_ = std::move(f1), f0_ = std::move(f0); }  // at party 0

  // [r] with components c0 = e0 - 2 f0, c1 = e1 - 2 f1, c2 = t - 2 H; and r's XOR plane.
  Share arithmetic(const Shape& shape) const {
    Share out{shape, {}, {}, !data_};
    if (!data_) return out;
    // Only the two components this party holds (party i: c_i, c_{i+1}).
    auto component = [&](int k) {
      const std::vector<Ring>& x = k == 0 ? e0_ : k == 1 ? e1_ : t_;
      const std::vector<Ring>& y = k == 0 ? f0_ : k == 1 ? f1_ : h_;
      std::vector<Ring> c(n_);
      for (std::size_t j = 0; j < n_; ++j) c[j] = x[j] - 2 * y[j];
      return c;
    };
    out.s0 = component(me_);
    out.s1 = component((me_ + 1) % 3);
    return out;
  }
  Share boolean() const {
    Share out{Shape{static_cast<std::int64_t>(plane_words(n_))}, {}, {}, !data_};
    if (!data_) return out;
    const std::vector<Ring>* c[3] = {&r0_, &r1_, &r2_};
    out.s0 = *c[me_];
    out.s1 = *c[(me_ + 1) % 3];
    return out;
  }

 private:
  static std::vector<Ring> xor_of(std::vector<Ring> a, const std::vector<Ring>& b) {
    for (std::size_t i = 0; i < a.size(); ++i) a[i] ^= b[i];
    return a;
  }
  int me_;
  std::size_t n_;
  bool data_;
  std::vector<Ring> r0_, r1_, r2_, e0_, e1_, f0_, f1_, h_, j_, t_;
};

sim::Task<std::pair<Share, Share>> Aby3::and_plane_pairs(const Share& a, const Share& b, const Share& c) {
  // Both ANDs of a level in one re-share, as and_words on (a, a without its first plane) & (b, c)
  // without stacking them: z = a_i b_i ^ a_i b_{i+1} ^ a_{i+1} b_i ^ (a zero share).
  const std::size_t na = static_cast<std::size_t>(a.size()), nc = static_cast<std::size_t>(c.size()), skip = na - nc;
  const bool data = has_data(a) && has_data(b) && (nc == 0 || has_data(c));
  std::vector<Ring> z;
  if (data) {
    z = zero_share_xor(na + nc);
    for (std::size_t i = 0; i < na; ++i) z[i] ^= (a.s0[i] & b.s0[i]) ^ (a.s0[i] & b.s1[i]) ^ (a.s1[i] & b.s0[i]);
    for (std::size_t i = 0; i < nc; ++i) {
      const std::size_t j = skip + i;
      z[na + i] ^= (a.s0[j] & c.s0[i]) ^ (a.s0[j] & c.s1[i]) ^ (a.s1[j] & c.s0[i]);
    }
  }
  Shape both_shape{static_cast<std::int64_t>(na + nc)};  // named: see docs/architecture.md (GCC 12)
  const Share both = co_await reshare(std::move(z), std::move(both_shape), !data, "msb");
  co_return std::make_pair(slice(both, 0, na, a.shape), slice(both, na, nc, c.shape));
}

sim::Task<Aby3::PlaneSplit> Aby3::split_planes(const Share& x, RandomBit& r, const char* tag) {
  // Round 1: party 0 XOR-shares M = x_0 + x_1 (64 planes) and inputs s, both to party 2.
  const std::size_t n = static_cast<std::size_t>(x.size()), W = plane_words(n);
  const bool data = has_data(x);
  const int me = id();
  PairKeys keys(*this);
  PlaneSplit out;
  std::vector<Ring> m1 = data && keys.k01 ? keys.k01->next(64 * W) : std::vector<Ring>{}, m0;
  if (me == 0) {
    std::vector<Ring> payload;
    if (data) {
      std::vector<Ring> sum(n);
      for (std::size_t i = 0; i < n; ++i) sum[i] = x.s0[i] + x.s1[i];
      m0 = to_planes(sum, 64);
      for (std::size_t i = 0; i < m0.size(); ++i) m0[i] ^= m1[i];
      payload = m0;
    }
    const std::vector<Ring> e0 = r.party0_input();
    payload.insert(payload.end(), e0.begin(), e0.end());
    auto msgs = send_to(2, std::move(payload), (64 * W + n) * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), tag);
  } else {
    auto msgs = send_nothing();
    auto srcs = me == 2 ? recv_from(0) : recv_nothing();
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), tag);
    if (me == 2 && data) {
      m0.assign(got[0].begin(), got[0].begin() + static_cast<std::ptrdiff_t>(64 * W));
      r.received_input(std::vector<Ring>(got[0].begin() + static_cast<std::ptrdiff_t>(64 * W), got[0].end()));
    }
  }
  // M's components are (m_0, m1, 0); x_2's planes are held by parties 1 and 2.
  out.m = Share{Shape{static_cast<std::int64_t>(64 * W)}, {}, {}, !data};
  if (data) {
    out.m.s0 = me == 0 ? m0 : me == 1 ? m1 : std::vector<Ring>(64 * W, 0);
    out.m.s1 = me == 0 ? m1 : me == 1 ? std::vector<Ring>(64 * W, 0) : m0;
    if (me != 0) out.x2 = me == 1 ? x.s1 : x.s0;
  }
  co_return out;
}

sim::Task<Share> Aby3::open_masked(const Share& result, const RandomBit& r, const Shape& shape, const char* tag) {
  // Like a reveal (s0 to next), of result ^ r; then [result] = d + (1 - 2 d) [r].
  const std::size_t n = static_cast<std::size_t>(numel(shape)), W = plane_words(n);
  const Share masked = xor_words(result, r.boolean());
  const bool data = has_data(masked);
  auto msgs = send_to(next(), data ? masked.s0 : std::vector<Ring>{}, W * 8);
  auto srcs = recv_from(prev());
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), tag);
  Share out = r.arithmetic(shape);
  if (!data) co_return out;
  std::vector<Ring> d_plane(W);
  for (std::size_t w = 0; w < W; ++w) d_plane[w] = masked.s0[w] ^ masked.s1[w] ^ got[0][w];
  const std::vector<Ring> d = plane_bits(d_plane.data(), n);
  for (std::size_t j = 0; j < n; ++j) {
    const Ring sign = 1 - 2 * d[j];
    out.s0[j] *= sign;
    out.s1[j] *= sign;
  }
  // The public d joins component 0: party 0's first, party 2's second.
  if (id() == 0) for (std::size_t j = 0; j < n; ++j) out.s0[j] += d[j];
  if (id() == 2) for (std::size_t j = 0; j < n; ++j) out.s1[j] += d[j];
  co_return out;
}

sim::Task<std::vector<Ring>> Aby3::reshare_with_bit(const std::vector<Ring>& own, RandomBit& r, std::size_t words, bool data,
                                                    const std::vector<Ring>* party0_part, const char* tag) {
  // A re-share (each part to the previous party) with the random bit's product parts riding to
  // party 0: party 1 sends its part and f1 to party 0, party 2 its part to party 1 and f0 to
  // party 0. With `party0_part` (msb's generates: party 0's part is a mask party 2 derives; set
  // at every party, read at party 2) party 0 sends nothing. Returns this party's second component.
  const std::size_t n = r.size();
  const int me = id();
  if (me == 0) {
    auto msgs = party0_part ? send_nothing() : send_to(2, data ? own : std::vector<Ring>{}, words * 8);
    std::vector<int> srcs = {1, 2};
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), tag);
    if (!data) co_return std::vector<Ring>{};
    std::vector<Ring> next(got[0].begin(), got[0].begin() + static_cast<std::ptrdiff_t>(words));
    r.received_parts(std::vector<Ring>(got[0].begin() + static_cast<std::ptrdiff_t>(words), got[0].end()), std::move(got[1]));
    co_return next;
  }
  const std::vector<Ring> f = r.product_part();
  if (me == 1) {
    std::vector<Ring> payload = own;
    payload.insert(payload.end(), f.begin(), f.end());
    auto msgs = send_to(0, std::move(payload), (words + n) * 8);
    auto srcs = recv_from(2);
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), tag);
    co_return data ? std::move(got[0]) : std::vector<Ring>{};
  }
  auto msgs = send_to(1, own, words * 8, 0, f, n * 8);
  auto srcs = party0_part ? recv_nothing() : recv_from(0);
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), tag);
  if (!data) co_return std::vector<Ring>{};
  co_return party0_part ? *party0_part : std::move(got[0]);
}

sim::Task<Share> Aby3::do_msb(const Share& x) {
  const std::size_t n = static_cast<std::size_t>(x.size()), W = plane_words(n);
  const std::size_t gw = kLeaves * W;  // words of the 63 generate planes
  const bool data = has_data(x);
  const int me = id();
  // Draw order per key: the split's m1 (k01), then mask0 (k20), mask1 (k12), then the bit's.
  PairKeys keys(*this);
  std::vector<Ring> mask0 = data && keys.k20 ? keys.k20->next(gw) : std::vector<Ring>{};
  std::vector<Ring> mask1 = data && keys.k12 ? keys.k12->next(gw) : std::vector<Ring>{};
  RandomBit r(me, keys, n, data);
  PlaneSplit split = co_await split_planes(x, r, "msb");
  // Why buffers are released as soon as they are spent: a fresh process pays a page fault for
  // every page of its peak, which is most of a first comparison's time.
  std::vector<Ring> planes_n = data && me != 0 ? to_planes(split.x2, 64) : std::vector<Ring>{};
  release(split.x2);

  // Round 2: the generates (party 0's part is mask0, known to party 2) and s t.
  std::vector<Ring> g_own;
  if (data && me == 0) g_own = mask0;
  if (data && me != 0) {
    // Party 1: m1 & N ^ mask1 (its s0 is m1); party 2: m_0 & N ^ mask0 ^ mask1 (its s1 is m_0).
    const std::vector<Ring>& mine = me == 1 ? split.m.s0 : split.m.s1;
    g_own.resize(gw);
    for (std::size_t i = 0; i < gw; ++i) g_own[i] = (mine[i] & planes_n[i]) ^ mask1[i] ^ (me == 2 ? mask0[i] : 0);
  }
  release(mask1);
  std::vector<Ring> g_next = co_await reshare_with_bit(g_own, r, gw, data, &mask0, "msb");
  release(mask0);
  Share g{Shape{static_cast<std::int64_t>(gw)}, std::move(g_own), std::move(g_next), !data};
  Share p = std::move(split.m);  // M ^ N: N joins component 2 (party 1's second, party 2's first)
  if (data && me == 1) for (std::size_t i = 0; i < p.s1.size(); ++i) p.s1[i] ^= planes_n[i];
  if (data && me == 2) for (std::size_t i = 0; i < p.s0.size(); ++i) p.s0[i] ^= planes_n[i];
  release(planes_n);
  const Share top = take_top_plane(p, W);  // p keeps the propagates of planes 0..62

  AndPairs ands = [this](const Share& a, const Share& b, const Share& c) { return and_plane_pairs(a, b, c); };
  const Share carry = co_await carry_out(std::move(g), std::move(p), kLeaves, W, ands);
  const Share msb = xor_words(top, carry);
  Share out = co_await open_masked(msb, r, x.shape, "msb");
  co_return out;
}

sim::Task<Share> Aby3::do_eqz(const Share& x) {
  const std::size_t n = static_cast<std::size_t>(x.size()), W = plane_words(n);
  const bool data = has_data(x);
  const int me = id();
  PairKeys keys(*this);
  RandomBit r(me, keys, n, data);
  const PlaneSplit split = co_await split_planes(x, r, "eqz");
  // E = NOT(M ^ -x_2): -x_2 joins component 2, the NOT component 0 (party 0's s0, party 2's s1).
  Share e = split.m;
  if (data) {
    std::vector<Ring> neg(split.x2.size());
    for (std::size_t i = 0; i < neg.size(); ++i) neg[i] = Ring{0} - split.x2[i];
    const std::vector<Ring> planes_neg = me != 0 ? to_planes(neg, 64) : std::vector<Ring>{};
    if (me == 1) for (std::size_t i = 0; i < e.s1.size(); ++i) e.s1[i] ^= planes_neg[i];
    if (me == 2) for (std::size_t i = 0; i < e.s0.size(); ++i) e.s0[i] ^= planes_neg[i];
    if (me == 0) for (auto& v : e.s0) v = ~v;
    if (me == 2) for (auto& v : e.s1) v = ~v;
  }
  // The first level (32 ANDs) re-shared like and_words, with the bit's product parts beside it.
  std::vector<int> lo, hi;
  for (int k = 0; k < 32; ++k) lo.push_back(2 * k), hi.push_back(2 * k + 1);
  const Share a = gather_planes(e, lo, W), b = gather_planes(e, hi, W);
  const std::size_t w1 = 32 * W;
  std::vector<Ring> z;
  if (data) {
    z = zero_share_xor(w1);
    for (std::size_t i = 0; i < w1; ++i) z[i] ^= (a.s0[i] & b.s0[i]) ^ (a.s0[i] & b.s1[i]) ^ (a.s1[i] & b.s0[i]);
  }
  std::vector<Ring> z_next = co_await reshare_with_bit(z, r, w1, data, nullptr, "eqz");
  Share level{Shape{static_cast<std::int64_t>(w1)}, std::move(z), std::move(z_next), !data};
  // The other five levels: 16, 8, 4, 2, 1 ANDs.
  for (int planes = 16; planes >= 1; planes /= 2) {
    std::vector<int> l2, h2;
    for (int k = 0; k < planes; ++k) l2.push_back(2 * k), h2.push_back(2 * k + 1);
    const Share la = gather_planes(level, l2, W), lb = gather_planes(level, h2, W);
    level = co_await and_words(la, lb, "eqz");
  }
  Share out = co_await open_masked(level, r, x.shape, "eqz");
  co_return out;
}

}  // namespace kvsim::protocols
