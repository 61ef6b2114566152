// protocols/aby3/boolean.cpp — ABY3 boolean sharing: AND, A2B (Kogge-Stone), B2A (msb and eqz on
// bit planes: compare.cpp).
//
// Boolean shares use the replicated layout of arithmetic ones, with XOR: party i holds the words
// (b_i, b_{i+1}) and the value is b_0 ^ b_1 ^ b_2; all 64 bits of a word are processed at once.
// A2B of x = x_0 + x_1 + x_2: party 1 knows x_1 + x_2 and XOR-shares it (1 round); x_0 is held by
// parties 0 and 2 and XOR-shared locally as (x_0, 0, 0); a Kogge-Stone adder adds them: one AND
// round for the generate word, then 6 rounds for spans 1 .. 32 (2 ANDs per round, 1 in the last).
#include <stdexcept>

#include "protocols/boolean_words.h"
#include "protocols/aby3/aby3.h"

namespace kvsim::protocols {

std::vector<Ring> Aby3::zero_share_xor(std::size_t n) {
  std::vector<Ring> a = prg_next_.next(n), b = prg_prev_.next(n);
  for (std::size_t i = 0; i < n; ++i) a[i] ^= b[i];
  return a;
}

sim::Task<Share> Aby3::and_words(const Share& a, const Share& b, const char* tag) {
  const std::size_t n = static_cast<std::size_t>(a.size());
  const bool cost_only = a.cost_only || b.cost_only;
  std::vector<Ring> z;
  if (!cost_only) {
    z = zero_share_xor(n);
    for (std::size_t i = 0; i < n; ++i) z[i] ^= (a.s0[i] & b.s0[i]) ^ (a.s0[i] & b.s1[i]) ^ (a.s1[i] & b.s0[i]);
  }
  Shape shape = a.shape;
  Share out = co_await reshare(std::move(z), std::move(shape), cost_only, tag);
  co_return out;
}

sim::Task<Aby3::Carries> Aby3::add_carries(const Share& x) {
  const std::size_t n = static_cast<std::size_t>(x.size());
  // s = x_1 + x_2, known to party 1 (its two components), XOR-shared by it.
  std::vector<Ring> s;
  if (id() == 1 && !x.cost_only) {
    s.resize(n);
    for (std::size_t i = 0; i < n; ++i) s[i] = x.s0[i] + x.s1[i];
  }
  Share bs = co_await share_from(1, id() == 1 && !x.cost_only ? &s : nullptr, x.shape, true, "a2b");
  // x_0 as the XOR sharing (x_0, 0, 0): party 0 holds it first, party 2 second.
  Share bx{x.shape, {}, {}, x.cost_only};
  if (!x.cost_only) {
    bx.s0.assign(n, 0);
    bx.s1.assign(n, 0);
    if (id() == 0) bx.s0 = x.s0;
    if (id() == 2) bx.s1 = x.s1;
  }
  const Share p0 = xor_words(bx, bs);                 // propagate
  const Share g0 = co_await and_words(bx, bs, "a2b");  // generate
  Share g = co_await carry_prefix(p0, g0, [this](const Share& l, const Share& r) { return and_words(l, r, "a2b"); });
  co_return Carries{p0, std::move(g)};
}

sim::Task<Share> Aby3::a2b(const Share& x) {
  const Carries c = co_await add_carries(x);
  // Carries into bit i are the block generates of bits below i.
  co_return xor_words(c.p0, map_words(c.g, [](Ring v) { return v << 1; }));
}

sim::Task<Share> Aby3::do_trunc_exact(const Share& a, int f) {
  // The 2-out-of-2 view is a = x'_0, b = x'_1 + x'_2 (Protocol::exact_trunc_finish has the math).
  const std::size_t n = static_cast<std::size_t>(a.size());
  const Share xp = exact_trunc_input(a);
  const Carries cr = co_await add_carries(xp);
  const Share bits_in = carry_and_wrap_bits(cr.g, f);
  const Share bits = co_await b2a_bit(bits_in);
  // (a >> f) + (b >> f) as a replicated share, the Pi_trunc1 way (party 1 -> party 0).
  Share y{a.shape, {}, {}, a.cost_only};
  if (id() == 0) {
    auto msgs = send_nothing();
    auto srcs = recv_from(1);
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "trunc");
    if (has_data(xp)) {
      y.s0.resize(n);
      for (std::size_t i = 0; i < n; ++i) y.s0[i] = xp.s0[i] >> f;
      y.s1 = std::move(got[0]);
    }
  } else if (id() == 1) {
    std::vector<Ring> r, y1;
    if (has_data(xp)) {
      r = prg_next_.next(n);
      y1.resize(n);
      for (std::size_t i = 0; i < n; ++i) y1[i] = ((xp.s0[i] + xp.s1[i]) >> f) - r[i];
    }
    auto msgs = send_to(0, y1, n * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "trunc");
    y.s0 = std::move(y1);
    y.s1 = std::move(r);
  } else if (has_data(xp)) {
    y.s0 = prg_prev_.next(n);
    y.s1.resize(n);
    for (std::size_t i = 0; i < n; ++i) y.s1[i] = xp.s1[i] >> f;
  }
  co_return exact_trunc_finish(y, bits, f);
}

sim::Task<Share> Aby3::b2a_bit(const Share& b) {
  // b = b0 + b1 + b2 - 2 (b0 b1 + b0 b2 + b1 b2) + 4 b0 b1 b2 with each b_c an arithmetic share
  // (component c = the bit, others 0), made locally by the two parties that hold component c.
  const std::size_t n = static_cast<std::size_t>(b.size());
  auto component = [&](int c) {
    Share out{b.shape, {}, {}, b.cost_only};
    if (b.cost_only) return out;
    out.s0.assign(n, 0);
    out.s1.assign(n, 0);
    if (id() == c) for (std::size_t i = 0; i < n; ++i) out.s0[i] = b.s0[i] & 1;
    if ((id() + 1) % 3 == c) for (std::size_t i = 0; i < n; ++i) out.s1[i] = b.s1[i] & 1;
    return out;
  };
  const Share B0 = component(0), B1 = component(1), B2 = component(2);
  const Share lhs = concat(concat(B0, B0), B1), rhs = concat(concat(B1, B2), B2);
  Share pairs = co_await do_mul(lhs, rhs);
  const Share b01 = slice(pairs, 0, n, b.shape), b02 = slice(pairs, n, n, b.shape), b12 = slice(pairs, 2 * n, n, b.shape);
  const Share b012 = co_await do_mul(b01, B2);
  Share sum = add(add(B0, B1), B2);
  sum = sub(sum, mul_public(add(add(b01, b02), b12), 2));
  co_return add(sum, mul_public(b012, 4));
}

sim::Task<Share> Aby3::do_to_arithmetic(const Share& b) {
  const Share spread = spread_bits(b);
  const Share bits = co_await b2a_bit(spread);
  co_return recombine(bits, b.shape);
}

// A2B, then only the low `bits` planes are injected (the rest of the word is never converted).
sim::Task<Share> Aby3::do_low_bits(const Share& a, int bits) {
  const Share words = co_await a2b(a);
  const Share spread = spread_bits(words, bits);
  Share out = co_await b2a_bit(spread);
  co_return out;
}

}  // namespace kvsim::protocols
