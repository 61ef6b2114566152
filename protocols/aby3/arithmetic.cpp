// protocols/aby3/arithmetic.cpp — 3-party replicated secret sharing over Z_2^64.
#include <stdexcept>

#include "protocols/aby3/aby3.h"

namespace kvsim::protocols {

namespace {
constexpr std::uint64_t kPairKey = 1;
}

Aby3::Aby3(Channel& ch, std::uint64_t seed, int frac_bits, bool cost_mode)
    : Protocol(ch, seed, frac_bits, cost_mode),
      prg_next_(derive_key(seed, static_cast<std::uint64_t>(ch.id()), static_cast<std::uint64_t>((ch.id() + 1) % 3), kPairKey)),
      prg_prev_(derive_key(seed, static_cast<std::uint64_t>(ch.id()), static_cast<std::uint64_t>((ch.id() + 2) % 3), kPairKey)) {}

std::vector<Ring> Aby3::zero_share(std::size_t n) {
  std::vector<Ring> a = prg_next_.next(n), b = prg_prev_.next(n);
  for (std::size_t i = 0; i < n; ++i) a[i] -= b[i];
  return a;
}

sim::Task<Share> Aby3::do_input(int owner, const RingTensor* value, Shape shape) {
  if (!cost_mode_ && id() == owner && (!value || value->shape != shape))
    throw std::invalid_argument("input: the owner's value is missing or of another shape");
  const std::vector<Ring>* data = cost_mode_ || id() != owner ? nullptr : &value->data;
  Share out = co_await share_from(owner, data, std::move(shape), false, "input");
  co_return out;
}

sim::Task<Share> Aby3::share_from(int owner, const std::vector<Ring>* value, Shape shape, bool xor_sharing,
                                  const char* tag) {
  // x_owner comes from the key the owner shares with prev, x_{owner+1} from the key it shares
  // with next; the owner sends x_{owner+2} = x - x_owner - x_{owner+1} (or the XOR) to both others.
  const std::size_t n = static_cast<std::size_t>(numel(shape));
  Share out{shape, {}, {}, false};
  if (id() == owner) {
    std::vector<Ring> own, nxt, third;
    if (value) {
      own = prg_prev_.next(n);
      nxt = prg_next_.next(n);
      third.resize(n);
      for (std::size_t i = 0; i < n; ++i)
        third[i] = xor_sharing ? (*value)[i] ^ own[i] ^ nxt[i] : (*value)[i] - own[i] - nxt[i];
    }
    auto msgs = send_to(next(), third, n * 8, prev(), third, n * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), tag);
    out.cost_only = value == nullptr;
    out.s0 = std::move(own);
    out.s1 = std::move(nxt);
    co_return out;
  }
  auto msgs = send_nothing();
  auto srcs = recv_from(owner);
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), tag);
  out.cost_only = got[0].empty() && n > 0;  // the owner sent shapes only
  if (out.cost_only) co_return out;
  if (id() == (owner + 1) % 3) {
    // Holds (x_{owner+1}, x_{owner+2}): the first from the key shared with the owner (= prev).
    out.s0 = prg_prev_.next(n);
    out.s1 = std::move(got[0]);
  } else {
    // Party owner+2 holds (x_{owner+2}, x_owner): the second from the key shared with the owner (= next).
    out.s0 = std::move(got[0]);
    out.s1 = prg_next_.next(n);
  }
  co_return out;
}

sim::Task<RingTensor> Aby3::do_reveal(const Share& x) {
  note_reveal("reveal", x.size());
  // Party i lacks x_{i+2}, which party i+2 holds as its first component: send s0 to next,
  // receive from prev (1 round, n elements each).
  const std::size_t n = static_cast<std::size_t>(x.size());
  auto msgs = send_to(next(), x.cost_only ? std::vector<Ring>{} : x.s0, n * 8);
  auto srcs = recv_from(prev());
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "reveal");
  RingTensor out(x.shape);
  if (x.cost_only) {
    out.data.clear();
    co_return out;
  }
  // A typed boolean share (aby3-spu's comparisons) opens by XOR with the same message.
  if (x.bits != 0)
    for (std::size_t i = 0; i < n; ++i) out.data[i] = x.s0[i] ^ x.s1[i] ^ got[0][i];
  else
    for (std::size_t i = 0; i < n; ++i) out.data[i] = x.s0[i] + x.s1[i] + got[0][i];
  co_await ch_.charge_compute(2.0 * static_cast<double>(n), 0);
  co_return out;
}

Share Aby3::add_public(const Share& a, const RingTensor& c) const {
  // The public value joins component x_0: held by party 0 (first) and party 2 (second).
  Share out = a;
  if (a.cost_only) return out;
  if (id() == 0) for (std::size_t i = 0; i < out.s0.size(); ++i) out.s0[i] += c.data[i];
  if (id() == 2) for (std::size_t i = 0; i < out.s1.size(); ++i) out.s1[i] += c.data[i];
  return out;
}

sim::Task<Share> Aby3::reshare(std::vector<Ring> z, Shape shape, bool cost_only, const char* tag) {
  // z_i (a 3-out-of-3 share) goes to prev, so that prev holds (z_{i-1}, z_i): 1 round.
  const std::size_t n = static_cast<std::size_t>(numel(shape));
  auto msgs = send_to(prev(), cost_only ? std::vector<Ring>{} : z, n * 8);
  auto srcs = recv_from(next());
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), tag);
  Share out{std::move(shape), {}, {}, cost_only};
  if (cost_only) co_return out;
  out.s0 = std::move(z);
  out.s1 = std::move(got[0]);
  co_return out;
}

sim::Task<Share> Aby3::do_mul(const Share& a, const Share& b) {
  if (a.shape != b.shape) throw std::invalid_argument("mul: shapes differ " + shape_string(a.shape) + " vs " + shape_string(b.shape));
  const std::size_t n = static_cast<std::size_t>(a.size());
  const bool cost_only = a.cost_only || b.cost_only;
  std::vector<Ring> z;
  if (!cost_only) {
    z = zero_share(n);
    for (std::size_t i = 0; i < n; ++i) z[i] += a.s0[i] * b.s0[i] + a.s0[i] * b.s1[i] + a.s1[i] * b.s0[i];
  }
  co_await ch_.charge_compute(3.0 * static_cast<double>(n), 16.0 * static_cast<double>(n));
  Shape shape = a.shape;  // a named argument: no temporaries inside the co_await (GCC 12)
  Share out = co_await reshare(std::move(z), std::move(shape), cost_only, "mul");
  co_return out;
}

sim::Task<Share> Aby3::do_matmul(const Share& a, const Share& b, MatDims d) {
  const bool cost_only = a.cost_only || b.cost_only;
  const std::size_t n = static_cast<std::size_t>(d.batch * d.m * d.n);
  std::vector<Ring> z;
  if (!cost_only) {
    // x_i y_i + x_i y_{i+1} + x_{i+1} y_i = x_i (y_i + y_{i+1}) + x_{i+1} y_i: two products.
    std::vector<Ring> ysum(b.s0.size());
    for (std::size_t i = 0; i < ysum.size(); ++i) ysum[i] = b.s0[i] + b.s1[i];
    z = ring_matmul(a.s0.data(), ysum.data(), d.batch, d.m, d.k, d.n);
    const std::vector<Ring> t = ring_matmul(a.s1.data(), b.s0.data(), d.batch, d.m, d.k, d.n);
    const std::vector<Ring> zero = zero_share(n);
    for (std::size_t i = 0; i < n; ++i) z[i] += t[i] + zero[i];
  }
  Shape shape = d.batch == 1 ? Shape{d.m, d.n} : Shape{d.batch, d.m, d.n};
  co_await ch_.charge_compute(2.0 * static_cast<double>(d.batch * d.m * d.k * d.n), 16.0 * static_cast<double>(n));
  Share out = co_await reshare(std::move(z), std::move(shape), cost_only, "matmul");
  co_return out;
}

sim::Task<Share> Aby3::do_trunc(const Share& a, int bits) {
  // ABY3 Pi_trunc1. Two-out-of-two view: party 0 and party 2 hold x_0, party 1 holds x_1 + x_2.
  // y_0 = x_0 >> f (parties 0 and 2), y' = -((-(x_1 + x_2)) >> f) (party 1), y_2 = r from the key
  // of parties 1 and 2, y_1 = y' - r sent by party 1 to party 0. One round, one message.
  const std::size_t n = static_cast<std::size_t>(a.size());
  Share out{a.shape, {}, {}, a.cost_only};
  if (id() == 0) {
    auto msgs = send_nothing();
    auto srcs = recv_from(1);
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "trunc");
    if (a.cost_only) co_return out;
    out.s0.resize(n);
    for (std::size_t i = 0; i < n; ++i) out.s0[i] = arshift(a.s0[i], bits);
    out.s1 = std::move(got[0]);
    co_return out;
  }
  if (id() == 1) {
    std::vector<Ring> r, y1;
    if (!a.cost_only) {
      r = prg_next_.next(n);
      y1.resize(n);
      for (std::size_t i = 0; i < n; ++i) y1[i] = static_cast<Ring>(0) - arshift(static_cast<Ring>(0) - (a.s0[i] + a.s1[i]), bits) - r[i];
    }
    auto msgs = send_to(0, y1, n * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "trunc");
    if (a.cost_only) co_return out;
    out.s0 = std::move(y1);
    out.s1 = std::move(r);
    co_return out;
  }
  // Party 2: no communication.
  if (a.cost_only) co_return out;
  out.s0 = prg_prev_.next(n);  // r, shared with party 1
  out.s1.resize(n);
  for (std::size_t i = 0; i < n; ++i) out.s1[i] = arshift(a.s1[i], bits);
  co_return out;
}

}  // namespace kvsim::protocols
