// private_decode/select_infllm.cpp — "infllm": InfLLM's block selection under MPC. The n_init
// initial tokens are public and attended as they are, and so is the local window (budget / 2,
// or infllm_local_tokens)
// unless the port gathers it (infllm_local = "gathered": its blocks join the candidates and k);
// the blocks are scored by their representatives against the step's queries, the top blocks
// (one choice for the layer shared by its heads, or one per head) one-hot encoded and gathered.
#include <algorithm>
#include <stdexcept>

#include "private_decode/selector.h"

namespace kvsim::private_decode {
namespace {

class InfllmSelector final : public GroupSelector {
 public:
  using GroupSelector::GroupSelector;

  // InfLLM's memory blocks at the step (n = cached + 1 tokens): n_init sinks, then blocks of
  // `block` tokens up to the local window of budget / 2. Each block's representative is its mean
  // key, computed once here: a local sum and one truncation (InfLLM ranks a block by its
  // representative tokens' dot products; with all of the block as representatives that is the
  // mean — the secret in-window scores that pick InfLLM's few representatives are not kept).
  int infllm_first(int n) const { return std::min(s.n_init, n); }
  // Rows at the end left public: the local window, or only the newest token when the port
  // gathers the window with the blocks.
  int infllm_window() const { return s.infllm_local_tokens > 0 ? s.infllm_local_tokens : std::max(1, s.budget / 2); }
  int infllm_tail() const { return s.infllm_local == "gathered" ? 1 : infllm_window(); }
  int infllm_blocks(int n) const { return std::max(0, (n - infllm_first(n) - infllm_tail()) / s.block); }
  // Each block's representative, once after the prefill.
  Task<void> after_prefill() override {
    const int hd = a.head_dim, n = cached + 1, width = s.block, first = infllm_first(n), blocks = infllm_blocks(n);
    for (auto& L : m.layers) {
      L.reps.clear();
      for (int g = 0; g < a.kv_heads; ++g) {
        std::vector<int> firsts;
        for (int b = 0; b < blocks; ++b) firsts.push_back(first + b * width);
        const Share grid = channel_grid(L.k[static_cast<std::size_t>(g)], cached, firsts, width);
        const Share sums = sum_rows(grid, static_cast<std::int64_t>(blocks) * hd, width);
        const Share scaled = ops.P.mul_public(sums, protocols::encode_fixed(1.0 / width, ops.P.frac_bits()));
        Share mean = co_await ops.trunc("static", scaled);
        mean.shape = Shape{blocks, hd};
        L.reps.push_back(std::move(mean));
      }
    }
    co_await prepare_gather_tables();
  }

 protected:
  Candidates candidates(int n) const override {
    Candidates c;
    c.width = s.block;
    const int init = infllm_first(n);
    c.groups = infllm_blocks(n);
    // Public window: the blocks fill what the init tokens and the window leave of the budget;
    // gathered: the window's blocks are picked with them.
    c.k = std::min(c.groups, std::max(1, (s.budget - init - infllm_tail()) / c.width));
    for (int t = 0; t < init; ++t) c.public_rows.push_back(t);
    for (int t = init + c.groups * c.width; t < n; ++t) c.public_rows.push_back(t);
    c.score_rows = s.infllm_per_head ? a.heads : 1;
    c.first = init;
    return c;
  }

  // Shared: the block score sums q_h . r_h over heads, one (1, H d) x (H d, blocks) product.
  // Per head: q_h . r_h for each head, one (H, 1, d) x (H, d, blocks) product.
  Task<Share> scores(int l, const Share& q, std::vector<Share>&, std::vector<Share>&, int, const Candidates& c) override {
    const int H = a.heads, hd = a.head_dim, group = a.heads / a.kv_heads, groups = c.groups;
    auto& L = m.layers[static_cast<std::size_t>(l)];
    if (L.reps.front().shape != Shape{groups, hd}) throw std::logic_error("private decode: infllm blocks changed since prefill");
    std::vector<const Share*> per_head;
    for (int h = 0; h < H; ++h) per_head.push_back(&L.reps[static_cast<std::size_t>(h / group)]);
    const Share stacked = concat(per_head, Shape{H, groups, hd});
    if (s.infllm_per_head) {
      const Share reps_t = take_lazy(stacked, [&] {
        std::vector<std::int64_t> idx;  // (H, d, groups)
        for (int h = 0; h < H; ++h)
          for (int ch = 0; ch < hd; ++ch)
            for (int b = 0; b < groups; ++b) idx.push_back((static_cast<std::int64_t>(h) * groups + b) * hd + ch);
        return idx;
      }, Shape{H, hd, groups});
      Share sc = co_await ops.matmul("similarity", q, reps_t, MatDims{H, 1, hd, groups});
      co_return sc;
    }
    const Share reps = take_lazy(stacked, [&] {
      std::vector<std::int64_t> idx;  // (H d, groups): row h d + c, column b
      for (int h = 0; h < H; ++h)
        for (int ch = 0; ch < hd; ++ch)
          for (int b = 0; b < groups; ++b) idx.push_back((static_cast<std::int64_t>(h) * groups + b) * hd + ch);
      return idx;
    }, Shape{H * hd, groups});
    Share sc = co_await ops.matmul("similarity", q, reps, MatDims{1, 1, H * hd, groups});
    co_return sc;
  }
};

}  // namespace

std::unique_ptr<Selector> make_infllm_selector(Context& c) { return std::make_unique<InfllmSelector>(c); }

}  // namespace kvsim::private_decode
