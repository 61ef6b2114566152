// protocols/semi2k/arithmetic.cpp — 2-party additive sharing with Beaver triples from a trusted dealer.
//
// Parties 0 and 1 compute; party 2 is the dealer. For every product the dealer draws the triple
// shares of party 0 from the key it shares with party 0 and those of party 1 (a_1, b_1) from the
// key it shares with party 1; only c_1 = a b - c_0 is sent (to party 1), tagged "offline". The
// online phase of a product opens e = x - a and f = y - b in one round.
#include <stdexcept>

#include "protocols/semi2k/semi2k.h"

namespace kvsim::protocols {

namespace {
constexpr std::uint64_t kPairKey = 11, kDealerKey = 12;
}

Semi2kDealer::Semi2kDealer(Channel& ch, std::uint64_t seed, int frac_bits, bool cost_mode)
    : Protocol(ch, seed, frac_bits, cost_mode),
      prg_pair_(derive_key(seed, 0, 1, kPairKey)),
      prg_dealer_(derive_key(seed, ch.id() == kDealer ? 0 : static_cast<std::uint64_t>(ch.id()), kDealer, kDealerKey)),
      prg_dealer1_(derive_key(seed, 1, kDealer, kDealerKey)) {}

sim::Task<Share> Semi2kDealer::do_input(int owner, const RingTensor* value, Shape shape) {
  // The mask r comes from the key of parties 0 and 1: the owner holds x - r, the other r.
  // No communication at all.
  if (owner == kDealer) throw std::invalid_argument("semi2k: the dealer holds no inputs");
  Share out{shape, {}, {}, cost_mode_};
  if (is_dealer() || cost_mode_) co_return out;
  const std::size_t n = static_cast<std::size_t>(numel(shape));
  std::vector<Ring> r = prg_pair_.next(n);
  if (id() == owner) {
    if (!value || value->shape != shape) throw std::invalid_argument("input: the owner's value is missing or of another shape");
    for (std::size_t i = 0; i < n; ++i) r[i] = value->data[i] - r[i];
  }
  out.s0 = std::move(r);
  co_return out;
}

sim::Task<RingTensor> Semi2kDealer::do_reveal(const Share& x) {
  note_reveal("reveal", x.size());
  RingTensor out(x.shape);
  if (is_dealer()) {
    out.data.clear();
    co_return out;
  }
  const int other = 1 - id();
  const std::size_t n = static_cast<std::size_t>(x.size());
  auto msgs = send_to(other, x.cost_only ? std::vector<Ring>{} : x.s0, n * 8);
  auto srcs = recv_from(other);
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "reveal");
  if (x.cost_only) {
    out.data.clear();
    co_return out;
  }
  for (std::size_t i = 0; i < n; ++i) out.data[i] = x.s0[i] + got[0][i];
  co_return out;
}

Share Semi2kDealer::add_public(const Share& a, const RingTensor& c) const {
  Share out = a;
  if (id() == 0 && !a.cost_only) for (std::size_t i = 0; i < out.s0.size(); ++i) out.s0[i] += c.data[i];
  return out;
}

sim::Task<Semi2kDealer::Triple> Semi2kDealer::triple(std::int64_t na, std::int64_t nb, std::int64_t nc, bool cost_only,
                                                     std::optional<MatDims> mat) {
  Triple t;
  const auto sa = static_cast<std::size_t>(na), sb = static_cast<std::size_t>(nb), sc = static_cast<std::size_t>(nc);
  if (is_dealer()) {
    std::vector<Ring> c1;
    if (!cost_only) {
      // Party 0's (a0, b0, c0) and party 1's (a1, b1) from the shared keys; c = (a0+a1)(b0+b1).
      std::vector<Ring> a0 = prg_dealer_.next(sa), b0 = prg_dealer_.next(sb), c0 = prg_dealer_.next(sc);
      std::vector<Ring> a1 = prg_dealer1_.next(sa), b1 = prg_dealer1_.next(sb);
      for (std::size_t i = 0; i < sa; ++i) a0[i] += a1[i];
      for (std::size_t i = 0; i < sb; ++i) b0[i] += b1[i];
      std::vector<Ring> c = mat ? ring_matmul(a0.data(), b0.data(), mat->batch, mat->m, mat->k, mat->n) : std::vector<Ring>(sc);
      if (!mat) for (std::size_t i = 0; i < sc; ++i) c[i] = a0[i] * b0[i];
      c1.resize(sc);
      for (std::size_t i = 0; i < sc; ++i) c1[i] = c[i] - c0[i];
    }
    auto msgs = send_to(1, std::move(c1), sc * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "offline");
    co_return t;
  }
  if (cost_only) {
    if (id() == 1) {
      auto msgs = send_nothing();
      auto srcs = recv_from(kDealer);
      co_await ch_.exchange(std::move(msgs), std::move(srcs), "offline");
    }
    co_return t;
  }
  t.a = prg_dealer_.next(sa);
  t.b = prg_dealer_.next(sb);
  if (id() == 0) {
    t.c = prg_dealer_.next(sc);
  } else {
    auto msgs = send_nothing();
    auto srcs = recv_from(kDealer);
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "offline");
    t.c = std::move(got[0]);
  }
  co_return t;
}

sim::Task<Share> Semi2kDealer::do_mul(const Share& a, const Share& b) {
  if (a.shape != b.shape) throw std::invalid_argument("mul: shapes differ " + shape_string(a.shape) + " vs " + shape_string(b.shape));
  const std::int64_t n = a.size();
  const bool cost_only = a.cost_only || b.cost_only;
  Triple t = co_await triple(n, n, n, cost_only, std::nullopt);
  Share out{a.shape, {}, {}, cost_only};
  if (is_dealer()) co_return out;
  const int other = 1 - id();
  const auto sn = static_cast<std::size_t>(n);
  std::vector<Ring> ef;
  if (!cost_only) {
    ef.resize(2 * sn);
    for (std::size_t i = 0; i < sn; ++i) {
      ef[i] = a.s0[i] - t.a[i];
      ef[sn + i] = b.s0[i] - t.b[i];
    }
  }
  auto msgs = send_to(other, ef, 2 * sn * 8);
  auto srcs = recv_from(other);
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "mul");
  if (cost_only) co_return out;
  out.s0.resize(sn);
  for (std::size_t i = 0; i < sn; ++i) {
    const Ring e = ef[i] + got[0][i], f = ef[sn + i] + got[0][sn + i];
    out.s0[i] = t.c[i] + e * t.b[i] + f * t.a[i] + (id() == 0 ? e * f : 0);
  }
  co_await ch_.charge_compute(3.0 * static_cast<double>(n), 24.0 * static_cast<double>(n));
  co_return out;
}

sim::Task<Share> Semi2kDealer::do_matmul(const Share& a, const Share& b, MatDims d) {
  const bool cost_only = a.cost_only || b.cost_only;
  const std::int64_t na = d.batch * d.m * d.k, nb = d.batch * d.k * d.n, nc = d.batch * d.m * d.n;
  Triple t = co_await triple(na, nb, nc, cost_only, d);
  Share out{d.batch == 1 ? Shape{d.m, d.n} : Shape{d.batch, d.m, d.n}, {}, {}, cost_only};
  if (is_dealer()) co_return out;
  const int other = 1 - id();
  const auto sa = static_cast<std::size_t>(na), sb = static_cast<std::size_t>(nb);
  std::vector<Ring> ef;
  if (!cost_only) {
    ef.resize(sa + sb);
    for (std::size_t i = 0; i < sa; ++i) ef[i] = a.s0[i] - t.a[i];
    for (std::size_t i = 0; i < sb; ++i) ef[sa + i] = b.s0[i] - t.b[i];
  }
  auto msgs = send_to(other, ef, (sa + sb) * 8);
  auto srcs = recv_from(other);
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "matmul");
  if (cost_only) co_return out;
  std::vector<Ring> E(sa), F(sb);
  for (std::size_t i = 0; i < sa; ++i) E[i] = ef[i] + got[0][i];
  for (std::size_t i = 0; i < sb; ++i) F[i] = ef[sa + i] + got[0][sa + i];
  // Z = C + E B + A F (+ E F at party 0)
  std::vector<Ring> z = ring_matmul(E.data(), t.b.data(), d.batch, d.m, d.k, d.n);
  const std::vector<Ring> af = ring_matmul(t.a.data(), F.data(), d.batch, d.m, d.k, d.n);
  for (std::size_t i = 0; i < z.size(); ++i) z[i] += af[i] + t.c[i];
  if (id() == 0) {
    const std::vector<Ring> ef2 = ring_matmul(E.data(), F.data(), d.batch, d.m, d.k, d.n);
    for (std::size_t i = 0; i < z.size(); ++i) z[i] += ef2[i];
  }
  out.s0 = std::move(z);
  co_await ch_.charge_compute((id() == 0 ? 3.0 : 2.0) * static_cast<double>(d.batch * d.m * d.k * d.n), 8.0 * static_cast<double>(na + nb + nc));
  co_return out;
}

sim::Task<FixedOperand> Semi2kDealer::do_prepare_operand(const Share& b, MatDims d) {
  FixedOperand op{b, d, true, {}, {}};
  const auto nb = static_cast<std::size_t>(d.batch * d.k * d.n);
  const bool cost_only = b.cost_only;
  if (is_dealer()) {
    if (!cost_only) {  // B = B0 + B1 from the keys shared with each party
      op.mask = prg_dealer_.next(nb);
      const std::vector<Ring> b1 = prg_dealer1_.next(nb);
      for (std::size_t i = 0; i < nb; ++i) op.mask[i] += b1[i];
    }
    co_return op;
  }
  std::vector<Ring> f;
  if (!cost_only) {
    op.mask = prg_dealer_.next(nb);
    f.resize(nb);
    for (std::size_t i = 0; i < nb; ++i) f[i] = b.s0[i] - op.mask[i];
  }
  auto msgs = send_to(1 - id(), f, nb * 8);
  auto srcs = recv_from(1 - id());
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "operand");
  if (cost_only) co_return op;
  for (std::size_t i = 0; i < nb; ++i) f[i] += got[0][i];
  op.opened = std::move(f);
  co_return op;
}

sim::Task<Share> Semi2kDealer::do_matmul_operand(const Share& a, const FixedOperand& b, MatDims d) {
  if (!b.prepared) {
    Share out = co_await do_matmul(a, b.value, d);
    co_return out;
  }
  const bool cost_only = a.cost_only || b.value.cost_only;
  const std::int64_t na = d.batch * d.m * d.k, nc = d.batch * d.m * d.n;
  const auto sa = static_cast<std::size_t>(na), sc = static_cast<std::size_t>(nc);
  Share out{d.batch == 1 ? Shape{d.m, d.n} : Shape{d.batch, d.m, d.n}, {}, {}, cost_only};
  // The triple (A fresh, B fixed, C = A B): party 0's A and C and party 1's A from the keys,
  // party 1's C from the dealer (offline).
  if (is_dealer()) {
    std::vector<Ring> c1;
    if (!cost_only) {
      std::vector<Ring> a0 = prg_dealer_.next(sa);
      const std::vector<Ring> c0 = prg_dealer_.next(sc), a1 = prg_dealer1_.next(sa);
      for (std::size_t i = 0; i < sa; ++i) a0[i] += a1[i];
      c1 = ring_matmul(a0.data(), b.mask.data(), d.batch, d.m, d.k, d.n);
      for (std::size_t i = 0; i < sc; ++i) c1[i] -= c0[i];
    }
    auto msgs = send_to(1, std::move(c1), sc * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "offline");
    co_return out;
  }
  std::vector<Ring> ta, tc;
  if (!cost_only) {
    ta = prg_dealer_.next(sa);
    if (id() == 0) tc = prg_dealer_.next(sc);
  }
  if (id() == 1) {
    auto msgs = send_nothing();
    auto srcs = recv_from(kDealer);
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "offline");
    if (!cost_only) tc = std::move(got[0]);
  }
  const int other = 1 - id();
  std::vector<Ring> e;
  if (!cost_only) {
    e.resize(sa);
    for (std::size_t i = 0; i < sa; ++i) e[i] = a.s0[i] - ta[i];
  }
  auto msgs = send_to(other, e, sa * 8);
  auto srcs = recv_from(other);
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "matmul");
  if (cost_only) co_return out;
  for (std::size_t i = 0; i < sa; ++i) e[i] += got[0][i];
  // Z = C + E B_i + A_i F (+ E F at party 0)
  std::vector<Ring> z = ring_matmul(e.data(), b.mask.data(), d.batch, d.m, d.k, d.n);
  const std::vector<Ring> af = ring_matmul(ta.data(), b.opened.data(), d.batch, d.m, d.k, d.n);
  for (std::size_t i = 0; i < z.size(); ++i) z[i] += af[i] + tc[i];
  if (id() == 0) {
    const std::vector<Ring> ef = ring_matmul(e.data(), b.opened.data(), d.batch, d.m, d.k, d.n);
    for (std::size_t i = 0; i < z.size(); ++i) z[i] += ef[i];
  }
  out.s0 = std::move(z);
  co_await ch_.charge_compute((id() == 0 ? 3.0 : 2.0) * static_cast<double>(d.batch * d.m * d.k * d.n),
                              8.0 * static_cast<double>(na + d.batch * d.k * d.n + nc));
  co_return out;
}

sim::Task<Share> Semi2kDealer::do_trunc(const Share& a, int bits) {
  // SecureML local truncation: party 0 shifts its share, party 1 shifts the negation of its own.
  Share out = a;
  if (is_dealer() || a.cost_only) co_return out;
  for (auto& v : out.s0) v = id() == 0 ? arshift(v, bits) : static_cast<Ring>(0) - arshift(static_cast<Ring>(0) - v, bits);
  co_return out;
}

}  // namespace kvsim::protocols
