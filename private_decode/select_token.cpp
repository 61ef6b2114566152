// private_decode/select_token.cpp — "dynamic-naive": token-level selection, the naive port of a
// dynamic method to MPC (q . K over every token, top-k, a one-hot over tokens, the gather).
#include "private_decode/selector.h"

namespace kvsim::private_decode {

Candidates token_candidates(const MpcSelection& s, const PrivateArch& a, int n) {
  Candidates c;
  c.groups = n - 1;
  c.k = s.budget - 1;
  c.public_rows = {n - 1};  // the newest token
  c.score_rows = a.heads;
  c.token_level = true;
  return c;
}

Task<Share> token_scores(Ops& ops, const PrivateArch& a, const Share& q, const std::vector<Share>& K,
                         const std::vector<Share>& V, int n, int groups) {
  const int H = a.heads, hd = a.head_dim;
  Attended all = replicate(a, K, V, n);
  const Share kt = take_lazy(all.k, [&] {
    std::vector<std::int64_t> idx;  // K^T of the candidates: (H, d, n-1)
    for (int h = 0; h < H; ++h)
      for (int c = 0; c < hd; ++c)
        for (int t = 0; t < groups; ++t) idx.push_back((static_cast<std::int64_t>(h) * n + t) * hd + c);
    return idx;
  }, Shape{H, hd, groups});
  Share scores = co_await ops.matmul("similarity", q, kt, MatDims{H, 1, hd, groups});
  co_return scores;
}

namespace {

class TokenSelector final : public GroupSelector {
 public:
  using GroupSelector::GroupSelector;
  Task<void> after_prefill() override { co_await prepare_gather_tables(); }

 protected:
  Candidates candidates(int n) const override { return token_candidates(s, a, n); }
  Task<Share> scores(int, const Share& q, std::vector<Share>& K, std::vector<Share>& V, int n, const Candidates& c) override {
    Share sc = co_await token_scores(ops, a, q, K, V, n, c.groups);
    co_return sc;
  }
};

}  // namespace

std::unique_ptr<Selector> make_token_selector(Context& c) { return std::make_unique<TokenSelector>(c); }

}  // namespace kvsim::private_decode
