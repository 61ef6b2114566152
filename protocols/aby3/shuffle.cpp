// protocols/aby3/shuffle.cpp — ABY3's secret shuffle of rows (for SPU's QuickSelect top-k).
//
// Three permutations, each known to one pair of parties and unknown to the third: for the pair
// (A, B = A+1), the sharing becomes 2-out-of-2 (A: x_A + x_{A+1}, B: x_{A+2}), both permute, and
// they re-share with masks from the keys each shares with C = A+2, exchanging one masked vector
// (1 round). C learns nothing new, and A and B see only values masked by a key they do not hold.
#include "protocols/aby3/aby3.h"

namespace kvsim::protocols {

sim::Task<Share> Aby3::do_shuffle_rows(const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t fields) {
  Share cur = a;
  const std::size_t n = static_cast<std::size_t>(a.size());
  for (int A = 0; A < 3; ++A) {
    const int B = (A + 1) % 3, C = (A + 2) % 3;
    const bool data = has_data(cur);
    if (id() == C) {
      // z_A from the key shared with A (= next of C), z_C from the key shared with B (= prev of C).
      Share out{cur.shape, {}, {}, cur.cost_only};
      if (data) {
        out.s1 = prg_next_.next(n);  // z_A: C holds (z_C, z_A)
        out.s0 = prg_prev_.next(n);  // z_C
      }
      cur = std::move(out);
      continue;
    }
    // A and B: the permutations from the key they share; the masks from the keys shared with C.
    std::vector<Ring> mine, mask;
    if (data) {
      Prg& pair = id() == A ? prg_next_ : prg_prev_;
      std::vector<std::vector<std::int64_t>> perms;
      for (std::int64_t r = 0; r < rows; ++r) perms.push_back(random_permutation(pair, cols));
      std::vector<Ring> y(n);
      for (std::size_t i = 0; i < n; ++i) y[i] = id() == A ? cur.s0[i] + cur.s1[i] : cur.s1[i];
      mine = permute_rows(y, perms, rows, cols, fields);
      mask = (id() == A ? prg_prev_ : prg_next_).next(n);  // r_AC at A, r_BC at B
      for (std::size_t i = 0; i < n; ++i) mine[i] -= mask[i];
    }
    const int other = id() == A ? B : A;
    auto msgs = send_to(other, mine, n * 8);
    auto srcs = recv_from(other);
    auto got = co_await ch_.exchange(std::move(msgs), std::move(srcs), "shuffle");
    Share out{cur.shape, {}, {}, cur.cost_only};
    if (data) {
      std::vector<Ring> zb(n);
      for (std::size_t i = 0; i < n; ++i) zb[i] = mine[i] + got[0][i];  // u + v
      if (id() == A) {
        out.s0 = std::move(mask);  // z_A = r_AC
        out.s1 = std::move(zb);    // z_B
      } else {
        out.s0 = std::move(zb);    // z_B
        out.s1 = std::move(mask);  // z_C = r_BC
      }
    }
    cur = std::move(out);
  }
  co_return cur;
}

}  // namespace kvsim::protocols
