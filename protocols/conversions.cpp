// protocols/conversions.cpp — boolean to arithmetic for whole words, and semi2k's shuffle.
//
// B2A of a 64-bit XOR-shared word: the 64 bits of every element are injected at once (one
// batched bit-to-arithmetic over 64 n bits) and recombined as the sum of 2^i b_i. It costs 64
// bit injections per element; cheaper B2A with random masks is future work.
#include <numeric>
#include <stdexcept>

#include "protocols/families.h"

namespace kvsim::protocols {

sim::Task<Share> Protocol::to_boolean(const Share&) {
  throw std::logic_error(std::string(family()) + ": A2B is not implemented for this family yet");
  co_return Share{};
}

sim::Task<Share> Protocol::to_arithmetic(const Share&) {
  throw std::logic_error(std::string(family()) + ": B2A is not implemented for this family yet");
  co_return Share{};
}

sim::Task<Share> Plaintext::to_boolean(const Share& a) { co_return a; }
sim::Task<Share> Plaintext::to_arithmetic(const Share& b) { co_return b; }

namespace {
// (n) words -> (bits n) words holding bit i of element j at position i * n + j, in bit 0.
Share spread_bits(const Share& b, int bits = 64) {
  const auto planes = static_cast<std::size_t>(bits);
  Share out{Shape{bits * b.size()}, {}, {}, b.cost_only};
  if (!has_data(b)) return out;
  const std::size_t n = b.s0.size();
  out.s0.resize(planes * n);
  if (!b.s1.empty()) out.s1.resize(planes * n);
  for (int i = 0; i < bits; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      out.s0[static_cast<std::size_t>(i) * n + j] = (b.s0[j] >> i) & 1;
      if (!b.s1.empty()) out.s1[static_cast<std::size_t>(i) * n + j] = (b.s1[j] >> i) & 1;
    }
  return out;
}
Share recombine(const Share& bits, const Shape& shape) {
  Share out{shape, {}, {}, bits.cost_only};
  if (!has_data(bits)) return out;
  const std::size_t n = static_cast<std::size_t>(numel(shape));
  out.s0.assign(n, 0);
  if (!bits.s1.empty()) out.s1.assign(n, 0);
  for (int i = 0; i < 64; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      out.s0[j] += bits.s0[static_cast<std::size_t>(i) * n + j] << i;
      if (!bits.s1.empty()) out.s1[j] += bits.s1[static_cast<std::size_t>(i) * n + j] << i;
    }
  return out;
}
}  // namespace

sim::Task<Share> Aby3::to_arithmetic(const Share& b) {
  const Share spread = spread_bits(b);
  const Share bits = co_await b2a_bit(spread);
  co_return recombine(bits, b.shape);
}

sim::Task<Share> Semi2kDealer::to_arithmetic(const Share& b) {
  const Share spread = spread_bits(b);
  const Share bits = co_await b2a_bit(spread);
  co_return recombine(bits, b.shape);
}

sim::Task<Share> Protocol::low_bits(const Share&, int) {
  throw std::logic_error(std::string(family()) + ": low_bits is not implemented for this family yet");
  co_return Share{};
}

// A2B, then only the low `bits` planes are injected (the rest of the word is never converted).
sim::Task<Share> Aby3::low_bits(const Share& a, int bits) {
  const Share words = co_await a2b(a);
  const Share spread = spread_bits(words, bits);
  Share out = co_await b2a_bit(spread);
  co_return out;
}

sim::Task<Share> Semi2kDealer::low_bits(const Share& a, int bits) {
  const Share words = co_await a2b(a);
  const Share spread = spread_bits(words, bits);
  Share out = co_await b2a_bit(spread);
  co_return out;
}

sim::Task<Share> Plaintext::low_bits(const Share& a, int bits) {
  co_return spread_bits(a, bits);
}

sim::Task<void> Semi2kDealer::share_public(RingTensor& value) {
  // Party 0 forwards the public value to the dealer (1 round for both).
  if (id() == 1) co_return;
  const std::size_t n = static_cast<std::size_t>(numel(value.shape));
  if (id() == 0) {
    auto msgs = send_to(kDealer, cost_mode_ ? std::vector<Ring>{} : value.data, n * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "public");
    co_return;
  }
  auto msgs = send_nothing();
  auto srcs = recv_from(0);
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "public");
  value.data = std::move(got[0]);
}

// Semi2k's shuffle: two steps, each with a permutation known to one computing party and the
// dealer. For the permutation pi of party P (the other party Q): Q sends z = x_Q - r to P (r from
// the key Q shares with the dealer), P sets its share to pi(x_P + z) + (pi(r) - t) where the
// dealer sends pi(r) - t offline, and Q's share becomes t (from its key with the dealer).
sim::Task<Share> Semi2kDealer::shuffle_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t fields) {
  const std::size_t n = static_cast<std::size_t>(a.size());
  Share cur = a;
  auto permutation_of = [&](Prg& prg) {
    std::vector<std::vector<std::int64_t>> perms;
    for (std::int64_t r = 0; r < rows; ++r) perms.push_back(random_permutation(prg, cols));
    return perms;
  };
  for (int P = 0; P < 2; ++P) {
    const int Q = 1 - P;
    const bool data = !a.cost_only;
    if (is_dealer()) {
      // The dealer holds both keys: pi from P's, r and t from Q's.
      std::vector<Ring> delta;
      if (data) {
        Prg& with_p = P == 0 ? prg_dealer_ : prg_dealer1_;
        Prg& with_q = Q == 0 ? prg_dealer_ : prg_dealer1_;
        const auto perms = permutation_of(with_p);
        const std::vector<Ring> r = with_q.next(n), t = with_q.next(n);
        delta = permute_rows(r, perms, rows, cols, fields);
        for (std::size_t i = 0; i < n; ++i) delta[i] -= t[i];
      }
      auto msgs = send_to(P, std::move(delta), n * 8);
      auto srcs = recv_nothing();
      co_await ch_.exchange(std::move(msgs), std::move(srcs), "offline");
      continue;
    }
    if (id() == Q) {
      std::vector<Ring> z, t;
      if (data) {
        const std::vector<Ring> r = prg_dealer_.next(n);
        t = prg_dealer_.next(n);
        z.resize(n);
        for (std::size_t i = 0; i < n; ++i) z[i] = cur.s0[i] - r[i];
      }
      auto msgs = send_to(P, std::move(z), n * 8);
      auto srcs = recv_nothing();
      co_await ch_.exchange(std::move(msgs), std::move(srcs), "shuffle");
      if (data) cur.s0 = std::move(t);
      continue;
    }
    // Party P.
    std::vector<std::vector<std::int64_t>> perms;
    if (data) perms = permutation_of(prg_dealer_);
    auto off_msgs = send_nothing();
    auto off_srcs = recv_from(kDealer);
    auto delta = co_await ch_.exchange(std::move(off_msgs), std::move(off_srcs), "offline");
    auto msgs = send_nothing();
    auto srcs = recv_from(Q);
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "shuffle");
    if (data) {
      std::vector<Ring> sum(n);
      for (std::size_t i = 0; i < n; ++i) sum[i] = cur.s0[i] + got[0][i];
      cur.s0 = permute_rows(sum, perms, rows, cols, fields);
      for (std::size_t i = 0; i < n; ++i) cur.s0[i] += delta[0][i];
    }
  }
  co_return cur;
}

}  // namespace kvsim::protocols
