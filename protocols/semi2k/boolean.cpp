// protocols/semi2k/boolean.cpp — semi2k boolean circuits with dealer AND triples; B2A (msb and eqz
// on bit planes: compare.cpp).
#include "protocols/boolean_words.h"
#include "protocols/semi2k/semi2k.h"

namespace kvsim::protocols {


sim::Task<Share> Semi2kDealer::and_words(const Share& x, const Share& y) {
  const std::size_t n = static_cast<std::size_t>(x.size());
  const bool co = x.cost_only || y.cost_only;
  Share out{x.shape, {}, {}, co};
  // The dealer's AND triple: party 0's (a0, b0, c0) and party 1's (a1, b1) from the shared
  // keys, c1 = (a0 ^ a1) & (b0 ^ b1) ^ c0 sent to party 1, offline.
  if (is_dealer()) {
    std::vector<Ring> c1;
    if (!co) {
      const std::vector<Ring> a0 = prg_dealer_.next(n), b0 = prg_dealer_.next(n), c0 = prg_dealer_.next(n);
      const std::vector<Ring> a1 = prg_dealer1_.next(n), b1 = prg_dealer1_.next(n);
      c1.resize(n);
      for (std::size_t i = 0; i < n; ++i) c1[i] = ((a0[i] ^ a1[i]) & (b0[i] ^ b1[i])) ^ c0[i];
    }
    auto msgs = send_to(1, std::move(c1), n * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "offline");
    co_return out;
  }
  std::vector<Ring> ta, tb, tc;
  if (!co) {
    ta = prg_dealer_.next(n);
    tb = prg_dealer_.next(n);
    if (id() == 0) tc = prg_dealer_.next(n);
  }
  if (id() == 1) {
    auto msgs = send_nothing();
    auto srcs = recv_from(kDealer);
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "offline");
    tc = std::move(got[0]);
  }
  std::vector<Ring> ef;
  if (!co) {
    ef.resize(2 * n);
    for (std::size_t i = 0; i < n; ++i) {
      ef[i] = x.s0[i] ^ ta[i];
      ef[n + i] = y.s0[i] ^ tb[i];
    }
  }
  const int other = 1 - id();
  auto msgs = send_to(other, ef, 2 * n * 8);
  auto srcs = recv_from(other);
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "and");
  if (co) co_return out;
  out.s0.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Ring e = ef[i] ^ got[0][i], f = ef[n + i] ^ got[0][n + i];
    out.s0[i] = tc[i] ^ (e & tb[i]) ^ (f & ta[i]) ^ (id() == 0 ? (e & f) : 0);
  }
  co_return out;
}

sim::Task<Semi2kDealer::Carries> Semi2kDealer::add_carries(const Share& x) {
  const std::size_t n = static_cast<std::size_t>(x.size());
  const bool co = x.cost_only || is_dealer();
  // (x_0, 0) and (0, x_1): each party's arithmetic share is its boolean share of one addend.
  Share own{x.shape, {}, {}, x.cost_only}, zero{x.shape, {}, {}, x.cost_only};
  if (!co) {
    own.s0 = x.s0;
    zero.s0.assign(n, 0);
  }
  const Share xa = id() == 0 ? own : zero, xb = id() == 0 ? zero : own;
  const Share p0 = xor_words(xa, xb);
  const Share g0 = co_await and_words(xa, xb);
  Share g = co_await carry_prefix(p0, g0, [this](const Share& l, const Share& r) { return and_words(l, r); });
  co_return Carries{p0, std::move(g)};
}

sim::Task<Share> Semi2kDealer::a2b(const Share& x) {
  const Carries c = co_await add_carries(x);
  co_return xor_words(c.p0, map_words(c.g, [](Ring v) { return v << 1; }));
}

sim::Task<Share> Semi2kDealer::do_trunc_exact(const Share& a, int f) {
  // The 2-out-of-2 view is the shares themselves (Protocol::exact_trunc_finish has the math).
  const Share xp = exact_trunc_input(a);
  const Carries cr = co_await add_carries(xp);
  const Share bits_in = carry_and_wrap_bits(cr.g, f);
  const Share bits = co_await b2a_bit(bits_in);
  Share y = xp;
  for (auto& v : y.s0) v >>= f;
  co_return exact_trunc_finish(y, bits, f);
}

sim::Task<Share> Semi2kDealer::b2a_bit(const Share& b) {
  const std::size_t n = static_cast<std::size_t>(b.size());
  Share mine{b.shape, {}, {}, b.cost_only}, zero{b.shape, {}, {}, b.cost_only};
  if (!b.cost_only && !is_dealer()) {
    mine.s0.resize(n);
    for (std::size_t i = 0; i < n; ++i) mine.s0[i] = b.s0[i] & 1;
    zero.s0.assign(n, 0);
  }
  const Share b0 = id() == 0 ? mine : zero, b1 = id() == 0 ? zero : mine;
  const Share prod = co_await do_mul(b0, b1);
  co_return sub(add(b0, b1), mul_public(prod, 2));
}

sim::Task<Share> Semi2kDealer::do_to_arithmetic(const Share& b) {
  const Share spread = spread_bits(b);
  const Share bits = co_await b2a_bit(spread);
  co_return recombine(bits, b.shape);
}

sim::Task<Share> Semi2kDealer::do_low_bits(const Share& a, int bits) {
  const Share words = co_await a2b(a);
  const Share spread = spread_bits(words, bits);
  Share out = co_await b2a_bit(spread);
  co_return out;
}

}  // namespace kvsim::protocols
