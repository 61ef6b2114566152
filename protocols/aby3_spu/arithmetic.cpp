// protocols/aby3_spu/arithmetic.cpp — SPU's TruncAPr, MulA1B and B2A by OT, on ABY3's shares.
//
// Layout (aby3/): party i holds (x_i, x_{i+1}); prg_next_ is shared with party i+1, prg_prev_
// with party i-1, prg_own_ is private. Every pairwise stream is drawn in the same order by both
// of its parties — the invariant each protocol below keeps.
#include <stdexcept>

#include "protocols/aby3_spu/aby3_spu.h"

namespace kvsim::protocols {

namespace {
constexpr std::uint64_t kPrivateKey = 2;
constexpr Ring kLow63 = (static_cast<Ring>(1) << 63) - 1;
}  // namespace

Aby3Spu::Aby3Spu(Channel& ch, std::uint64_t seed, int frac_bits, bool cost_mode)
    : Aby3(ch, seed, frac_bits, cost_mode),
      prg_own_(derive_key(seed, static_cast<std::uint64_t>(ch.id()), static_cast<std::uint64_t>(ch.id()), kPrivateKey)) {}

Share Aby3Spu::xor_public_one(const Share& bit) const {
  // A public value joins component 0, held by party 0 (first) and party 2 (second).
  Share out = bit;
  if (!has_data(out)) return out;
  if (id() == 0) for (auto& v : out.s0) v ^= 1;
  if (id() == 2) for (auto& v : out.s1) v ^= 1;
  return out;
}

sim::Task<Share> Aby3Spu::do_trunc(const Share& a, int f) {
  // TruncAPr. The 2-of-2 view: party 0 holds x_0 + x_1, party 1 holds x_2. With x' = x + 2^62
  // in [0, 2^63) and r = rm 2^63 + rl from party 2 (r = r0 + r1, r0 shared with party 0, r1 with
  // party 1), c = x' + r is opened to parties 0 and 1. Then s = x' + rl < 2^64 does not wrap,
  // its top bit is c's top bit XOR rm, and floor(x' / 2^f) = (c mod 2^63 >> f)
  // + carry 2^(63-f) - (rl >> f) - {0 or 1}: one unit in the last place, never a wrap.
  // Party 2 deals shares of rm and rl >> f to both (16 bytes each, as SPU sends them); parties
  // 0 and 1 re-share the result into the replicated layout (z0 with party 2's help, z2 likewise).
  const std::size_t n = static_cast<std::size_t>(a.size());
  const bool data = has_data(a);
  Share out{a.shape, {}, {}, a.cost_only};
  const Ring offset = static_cast<Ring>(1) << 62, back = static_cast<Ring>(1) << (62 - f);
  if (id() == 2) {
    std::vector<Ring> to0, to1;
    if (data) {
      const std::vector<Ring> r0 = prg_next_.next(n), r1 = prg_prev_.next(n), mask = prg_own_.next(2 * n);
      to0.resize(2 * n);
      to1.resize(2 * n);
      for (std::size_t i = 0; i < n; ++i) {
        const Ring r = r0[i] + r1[i];
        const Ring rm = r >> 63, rl = (r & kLow63) >> f;
        to0[i] = mask[i];
        to0[n + i] = mask[n + i];
        to1[i] = rm - mask[i];
        to1[n + i] = rl - mask[n + i];
      }
    }
    auto msgs = send_to(0, to0, 2 * n * 8, 1, to1, 2 * n * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "trunc");
    // Party 2 takes no part in the re-share's round: its components come from the streams it
    // shares with party 0 (z0) and party 1 (z2).
    if (data) {
      out.s1 = prg_next_.next(n);  // z0
      out.s0 = prg_prev_.next(n);  // z2
    }
    co_return out;
  }
  // Parties 0 and 1.
  const int other = 1 - id();
  std::vector<Ring> mine, r;
  if (data) {
    r = id() == 0 ? prg_prev_.next(n) : prg_next_.next(n);
    mine.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Ring share = id() == 0 ? a.s0[i] + a.s1[i] + offset : a.s1[i];
      mine[i] = share + r[i];
    }
  }
  auto msgs = send_to(other, mine, n * 8);
  std::vector<int> srcs = {other, 2};
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "trunc");
  std::vector<Ring> y;
  if (data) {
    y.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Ring c = mine[i] + got[0][i];
      const Ring c_msb = c >> 63, rm = got[1][i], rl = got[1][n + i];
      const Ring keep = 1 - 2 * c_msb;  // carry = c_msb + rm (1 - 2 c_msb)
      Ring v = rm * keep * (static_cast<Ring>(1) << (63 - f)) - rl;
      if (id() == 0) v += ((c & kLow63) >> f) + c_msb * (static_cast<Ring>(1) << (63 - f)) - back;
      y[i] = v;
    }
  }
  // Re-share: z0 (parties 0, 2) and z2 (parties 1, 2) from the pairwise streams, z1 = y0 - z0 +
  // y1 - z2 from one message each way between parties 0 and 1.
  std::vector<Ring> z, masked;
  if (data) {
    z = id() == 0 ? prg_prev_.next(n) : prg_next_.next(n);
    masked.resize(n);
    for (std::size_t i = 0; i < n; ++i) masked[i] = y[i] - z[i];
  }
  auto msgs2 = send_to(other, masked, n * 8);
  auto srcs2 = recv_from(other);
  auto got2 = co_await ch_.exchange(std::move(msgs2), std::move(srcs2), "trunc");
  if (!data) co_return out;
  std::vector<Ring> z1(n);
  for (std::size_t i = 0; i < n; ++i) z1[i] = masked[i] + got2[0][i];
  if (id() == 0) {
    out.s0 = std::move(z);   // z0
    out.s1 = std::move(z1);
  } else {
    out.s0 = std::move(z1);
    out.s1 = std::move(z);   // z2
  }
  co_await ch_.charge_compute(6.0 * static_cast<double>(n), 16.0 * static_cast<double>(n));
  co_return out;
}

sim::Task<Share> Aby3Spu::do_mul_bit(const Share& a, const Share& bit) {
  // MulA1B, two 3-party OTs in one round and a re-share in the next. With c = b0 ^ b1 (party
  // 0) and d = b1 ^ b2 (party 1): a b = a0 (c ^ b2) + (a1 + a2) (d ^ b0).
  // OT_A: sender 0 offers a0 (c ^ x) - rhoA (rhoA private) masked by wA (shared with party 2),
  //   receiver 1 learns tA for its choice b2 from helper 2's wA[b2].
  // OT_B: sender 1 offers (a1 + a2) (d ^ x) - rhoB masked by wB (shared with party 2), receiver 0
  //   learns tB for the choice b0 from helper 2's wB[b0].
  // Then z1 = kappa (parties 0, 1), z2 = tA + rhoB - kappa (party 1 -> 2), z0 = rhoA + tB
  // (party 0 -> 2): each message is masked by a value its receiver does not know.
  const std::size_t n = static_cast<std::size_t>(a.size());
  const bool data = has_data(a) && has_data(bit);
  Share out{a.shape, {}, {}, !data};
  auto offers = [&](const std::vector<Ring>& u, const std::vector<Ring>& choice_share, const std::vector<Ring>& rho,
                    const std::vector<Ring>& w) {
    std::vector<Ring> m(2 * n);
    for (std::size_t i = 0; i < n; ++i)
      for (Ring x = 0; x < 2; ++x) m[x * n + i] = u[i] * ((choice_share[i] & 1) ^ x) - rho[i] + w[x * n + i];
    return m;
  };
  if (id() == 2) {
    std::vector<Ring> to0, to1;
    if (data) {
      const std::vector<Ring> wA = prg_next_.next(2 * n), wB = prg_prev_.next(2 * n);
      to1.resize(n);
      to0.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        to1[i] = wA[(bit.s0[i] & 1) * n + i];  // b2
        to0[i] = wB[(bit.s1[i] & 1) * n + i];  // b0
      }
    }
    auto msgs = send_to(0, to0, n * 8, 1, to1, n * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "mul_bit");
    auto none = send_nothing();
    std::vector<int> from = {0, 1};
    auto got = co_await ch_.exchange(std::move(none), std::move(from), "mul_bit");
    if (!data) co_return out;
    out.s1 = std::move(got[0]);  // z0
    out.s0 = std::move(got[1]);  // z2
    co_return out;
  }
  const int other = 1 - id();
  std::vector<Ring> m;
  std::vector<Ring> rho;
  if (data) {
    rho = prg_own_.next(n);
    std::vector<Ring> u(n), choice(n);
    for (std::size_t i = 0; i < n; ++i) {
      u[i] = id() == 0 ? a.s0[i] : a.s0[i] + a.s1[i];
      choice[i] = bit.s0[i] ^ bit.s1[i];
    }
    const std::vector<Ring> w = id() == 0 ? prg_prev_.next(2 * n) : prg_next_.next(2 * n);
    m = offers(u, choice, rho, w);
  }
  auto msgs = send_to(other, m, 2 * n * 8);
  std::vector<int> srcs = {other, 2};
  auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "mul_bit");
  std::vector<Ring> to2, kappa;
  if (data) {
    kappa = id() == 0 ? prg_next_.next(n) : prg_prev_.next(n);
    to2.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      // Party 0's choice is b0 (its s0), party 1's is b2 (its s1).
      const Ring choice = (id() == 0 ? bit.s0[i] : bit.s1[i]) & 1;
      const Ring t = got[0][choice * n + i] - got[1][i];
      to2[i] = id() == 0 ? rho[i] + t : t + rho[i] - kappa[i];
    }
  }
  auto msgs2 = send_to(2, to2, n * 8);
  auto srcs2 = recv_nothing();
  co_await ch_.exchange(std::move(msgs2), std::move(srcs2), "mul_bit");
  if (!data) co_return out;
  if (id() == 0) {
    out.s0 = std::move(to2);  // z0
    out.s1 = std::move(kappa);
  } else {
    out.s0 = std::move(kappa);
    out.s1 = std::move(to2);  // z2
  }
  co_await ch_.charge_compute(4.0 * static_cast<double>(n), 40.0 * static_cast<double>(n));
  co_return out;
}

sim::Task<Share> Aby3Spu::do_to_arithmetic(const Share& b) {
  if (b.bits > 0 && b.bits <= 8) {
    Share out = co_await b2a_by_ot(b);
    co_return out;
  }
  Share out = co_await b2a_by_ppa(b);
  co_return out;
}

sim::Task<Share> Aby3Spu::b2a_by_ot(const Share& b) {
  // B2AByOT, party 0 the sender: with c = b0 ^ b1 (party 0) and the choice b2 (parties 1, 2),
  // bit i of the value is c_i ^ b2_i. Party 0 offers 2^i (c_i ^ x) - rho_i, masked by w (shared
  // with party 2), with sum rho_i = y0 + y1 (y0 shared with party 2, y1 with party 1, the other
  // rho_i private); receiver 1 learns each chosen offer from helper 2's w, adds them into
  // y2 = x - y0 - y1 and sends it to party 2. (3 bits + 1) words per element, 2 rounds.
  const std::size_t n = static_cast<std::size_t>(b.size());
  const std::size_t k = static_cast<std::size_t>(b.bits);
  const bool data = has_data(b);
  Share out{b.shape, {}, {}, b.cost_only};
  if (id() == 0) {
    std::vector<Ring> msg;
    std::vector<Ring> y0, y1;
    if (data) {
      y0 = prg_prev_.next(n);
      const std::vector<Ring> w = prg_prev_.next(2 * k * n);
      y1 = prg_next_.next(n);
      const std::vector<Ring> rho_free = prg_own_.next(k > 1 ? (k - 1) * n : 0);
      msg.resize(2 * k * n);
      for (std::size_t j = 0; j < n; ++j) {
        const Ring c = b.s0[j] ^ b.s1[j];
        Ring rest = y0[j] + y1[j];
        for (std::size_t i = 0; i < k; ++i) {
          const Ring rho = i + 1 < k ? rho_free[i * n + j] : rest;
          rest -= rho;
          for (Ring x = 0; x < 2; ++x)
            msg[(i * 2 + x) * n + j] = (static_cast<Ring>((c >> i) & 1) ^ x) * (static_cast<Ring>(1) << i) - rho + w[(i * 2 + x) * n + j];
        }
      }
    }
    auto msgs = send_to(1, msg, 2 * k * n * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "b2a");
    if (!data) co_return out;
    out.s0 = std::move(y0);
    out.s1 = std::move(y1);
    co_return out;
  }
  if (id() == 2) {
    std::vector<Ring> chosen, y0;
    if (data) {
      y0 = prg_next_.next(n);
      const std::vector<Ring> w = prg_next_.next(2 * k * n);
      chosen.resize(k * n);
      for (std::size_t i = 0; i < k; ++i)
        for (std::size_t j = 0; j < n; ++j) chosen[i * n + j] = w[(i * 2 + ((b.s0[j] >> i) & 1)) * n + j];
    }
    auto msgs = send_to(1, chosen, k * n * 8);
    auto srcs = recv_nothing();
    co_await ch_.exchange(std::move(msgs), std::move(srcs), "b2a");
    auto none = send_nothing();
    auto from = recv_from(1);
    auto got = co_await ch_.exchange(std::move(none), std::move(from), "b2a");
    if (!data) co_return out;
    out.s0 = std::move(got[0]);  // y2
    out.s1 = std::move(y0);
    co_return out;
  }
  // Party 1: the receiver.
  auto none = send_nothing();
  std::vector<int> from = {0, 2};
  auto got = co_await ch_.exchange(std::move(none), std::move(from), "b2a");
  std::vector<Ring> y1, y2;
  if (data) {
    y1 = prg_prev_.next(n);
    y2.assign(n, 0);
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = 0; j < n; ++j) y2[j] += got[0][(i * 2 + ((b.s1[j] >> i) & 1)) * n + j] - got[1][i * n + j];
  }
  auto msgs = send_to(2, y2, n * 8);
  auto srcs = recv_nothing();
  co_await ch_.exchange(std::move(msgs), std::move(srcs), "b2a");
  if (!data) co_return out;
  out.s0 = std::move(y1);
  out.s1 = std::move(y2);
  co_await ch_.charge_compute(3.0 * static_cast<double>(k * n), 24.0 * static_cast<double>(k * n));
  co_return out;
}

}  // namespace kvsim::protocols
