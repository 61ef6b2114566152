// protocols/semi2k/shuffle.cpp — semi2k's secret shuffle and the public values its dealer follows.
#include "protocols/semi2k/semi2k.h"

namespace kvsim::protocols {

sim::Task<void> Semi2kDealer::do_share_public(RingTensor& value) {
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
sim::Task<Share> Semi2kDealer::do_shuffle_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t fields) {
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
