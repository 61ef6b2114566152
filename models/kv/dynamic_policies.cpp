// models/kv/dynamic_policies.cpp — policies that keep every token and choose per decode step:
// Quest (kv-policies brief 2.7, runtime kernels) and InfLLM (2.8).
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "models/kv/attention.h"
#include "models/kv/policies.h"

namespace kvsim::models::kv {
namespace {

int as_int(ResolvedParams& p, const char* key) { return static_cast<int>(std::lround(p[key])); }
int ceil_div(int a, int b) { return (a + b - 1) / b; }

// Quest: per-page channel-wise min/max of post-RoPE keys, kept up to date on append; each step and
// query head, pages other than the last are scored by the upper bound sum_c max(q_c M_c, q_c m_c),
// the top (budget/page - 1) pages plus the last page are attended. Skipped when every page fits,
// and in the first dense_layers layers.
class QuestPolicy final : public KvPolicy {
 public:
  QuestPolicy(int budget, int page, int dense_layers) : page_(page), dense_(dense_layers) {
    if (page_ < 1) throw std::invalid_argument("quest: page_size must be positive");
    page_budget_ = std::max(1, budget / page_);
  }
  std::string_view name() const override { return "quest"; }
  void begin(const PolicyShape& shape) override {
    KvPolicy::begin(shape);
    hi_.assign(shape.n_layers, std::vector<MatrixRM>(shape.n_kv_heads));
    lo_ = hi_;
    length_.assign(shape.n_layers, shape.prompt_length);
  }
  void prefill(const LayerPrefill& l) override {
    if (l.layer < dense_) return;
    for (int p = 0; p < l.length; ++p) append(l.layer, *l.keys, p, prefill_work_);
  }
  void select(const LayerDecode& l, Selection& out) override {
    const int n = l.length;
    length_[l.layer] = n;
    if (l.layer < dense_) {
      for (auto& s : out) s = iota_positions(0, n);
      return;
    }
    append(l.layer, *l.keys, n - 1, decode_work_);
    const int pages = ceil_div(n, page_);
    if (pages <= page_budget_) {
      for (auto& s : out) s = iota_positions(0, n);
      return;
    }
    std::vector<float> bound(pages - 1);
    for (int qh = 0; qh < shape_.n_heads; ++qh) {
      const auto& q = (*l.queries)[qh];
      const auto& hi = hi_[l.layer][qh / shape_.group()];
      const auto& lo = lo_[l.layer][qh / shape_.group()];
      for (int p = 0; p < pages - 1; ++p) bound[p] = channel_bound(q, hi.row(p), lo.row(p));
      const auto chosen = top_k(bound, page_budget_ - 1);
      auto& s = out[qh];
      s.clear();
      for (int p : chosen)
        for (int t = p * page_; t < (p + 1) * page_; ++t) s.push_back(t);
      for (int t = (pages - 1) * page_; t < n; ++t) s.push_back(t);
      decode_work_.gathered_rows += static_cast<std::int64_t>(s.size());
    }
    decode_work_ += estimate_work(shape_, pages, n);
  }
  std::int64_t resident(int layer, int) const override { return length_[layer]; }
  PolicyWork declared_prefill_work(const PolicyShape& sh) const override {
    PolicyWork w;
    const std::int64_t n = sh.prompt_length, layers = std::max(0, sh.n_layers - dense_);
    w.metadata_updates = layers * sh.n_kv_heads * 2LL * sh.head_dim * n;
    w.comparisons = layers * sh.n_kv_heads * 2LL * sh.head_dim * (n - ceil_div(static_cast<int>(n), page_));
    return w;
  }
  PolicyWork declared_decode_work(const PolicyShape& sh, int length) const override {
    PolicyWork w;
    const std::int64_t layers = std::max(0, sh.n_layers - dense_);
    const bool first_in_page = (length - 1) % page_ == 0;
    w.metadata_updates = layers * sh.n_kv_heads * 2LL * sh.head_dim;
    w.comparisons = first_in_page ? 0 : layers * sh.n_kv_heads * 2LL * sh.head_dim;
    const int pages = ceil_div(length, page_);
    if (pages > page_budget_) {
      PolicyWork e = estimate_work(sh, pages, length);
      const std::int64_t tokens = static_cast<std::int64_t>(page_budget_ - 1) * page_ + (length - (pages - 1) * page_);
      e.gathered_rows = sh.n_heads * tokens;
      for (std::int64_t i = 0; i < layers; ++i) w += e;
    }
    return w;
  }

 private:
  PolicyWork estimate_work(const PolicyShape& sh, int pages, int) const {
    PolicyWork w;
    w.score_macs = sh.n_heads * static_cast<std::int64_t>(pages - 1) * 2 * sh.head_dim;
    w.comparisons = sh.n_heads * static_cast<std::int64_t>(pages - 1) * sh.head_dim;
    w.topk_calls = sh.n_heads;
    w.topk_candidates = sh.n_heads * static_cast<std::int64_t>(pages - 1);
    w.topk_selected = sh.n_heads * static_cast<std::int64_t>(std::min(page_budget_ - 1, pages - 1));
    return w;
  }
  void append(int layer, const std::vector<MatrixRM>& keys, int pos, PolicyWork& work) {
    const int p = pos / page_;
    for (int kh = 0; kh < shape_.n_kv_heads; ++kh) {
      auto& hi = hi_[layer][kh];
      auto& lo = lo_[layer][kh];
      if (hi.rows() <= p) {
        hi.conservativeResize(std::max<Eigen::Index>(2 * hi.rows(), p + 1), shape_.head_dim);
        lo.conservativeResize(hi.rows(), shape_.head_dim);
      }
      if (pos % page_ == 0) {
        hi.row(p) = keys[kh].row(pos);
        lo.row(p) = keys[kh].row(pos);
      } else {
        hi.row(p) = hi.row(p).cwiseMax(keys[kh].row(pos));
        lo.row(p) = lo.row(p).cwiseMin(keys[kh].row(pos));
        work.comparisons += 2LL * shape_.head_dim;
      }
      work.metadata_updates += 2LL * shape_.head_dim;
    }
  }

  int page_, dense_, page_budget_;
  std::vector<std::vector<MatrixRM>> hi_, lo_;  // [layer][kv_head] (pages x head_dim)
  std::vector<int> length_;
};

// InfLLM: n_init sink tokens, a local window of n_local recent tokens, and memory blocks of
// block_size tokens formed as tokens leave the window. A token's local score is the attention it
// received while in the window (summed over the group's heads); a block's representative is the
// mean key of its repr_topk best-scored tokens. Each step the blocks are scored by the query's dot
// product with the representative summed over heads, and the top blocks are shared by every head of
// the layer. The unfinished remainder between the last block and the window is always attended.
// Deviation: keys keep their original RoPE positions (InfLLM re-rotates memory to distance n_local).
class InfLlmPolicy final : public KvPolicy {
 public:
  InfLlmPolicy(int budget, int n_init, int block, int repr_topk, double local_fraction)
      : n_init_(n_init), block_(block), repr_topk_(std::min(repr_topk, block)) {
    n_local_ = std::max(1, static_cast<int>(std::lround(budget * local_fraction)));
    topk_blocks_ = (budget - n_init_ - n_local_) / block_;
    if (block_ < 1 || n_init_ < 0 || topk_blocks_ < 0)
      throw std::invalid_argument("infllm: budget too small for n_init + local window + blocks");
  }
  std::string_view name() const override { return "infllm"; }
  void begin(const PolicyShape& shape) override {
    KvPolicy::begin(shape);
    local_.assign(shape.n_layers, {});
    repr_.assign(shape.n_layers, std::vector<MatrixRM>(shape.n_kv_heads));
    formed_.assign(shape.n_layers, 0);
    length_.assign(shape.n_layers, shape.prompt_length);
  }
  int mem_end(int n) const { return std::max(n_init_, n - n_local_); }
  int blocks_at(int n) const { return (mem_end(n) - n_init_) / block_; }
  void prefill(const LayerPrefill& l) override {
    accumulate_prefill_attention(l, shape_.group(), local_[l.layer], prefill_work_, n_local_, n_init_);
    form_blocks(l.layer, *l.keys, blocks_at(l.length), prefill_work_);
  }
  void select(const LayerDecode& l, Selection& out) override {
    const int n = l.length;
    length_[l.layer] = n;
    for (auto& s : local_[l.layer]) s.resize(n, 0.0f);
    form_blocks(l.layer, *l.keys, blocks_at(n), decode_work_);
    const int nb = formed_[l.layer];
    std::vector<std::int32_t> blocks;
    if (nb > topk_blocks_) {
      std::vector<float> score(nb, 0.0f);
      for (int qh = 0; qh < shape_.n_heads; ++qh) {
        const auto& rep = repr_[l.layer][qh / shape_.group()];
        for (int b = 0; b < nb; ++b) score[b] += rep.row(b).dot((*l.queries)[qh]);
      }
      blocks = top_k(score, topk_blocks_);
      decode_work_ += retrieval_work(shape_, nb);
    } else {
      blocks = iota_positions(0, nb);
    }
    std::vector<std::int32_t> s = iota_positions(0, std::min(n_init_, n));
    for (int b : blocks)
      for (int t = n_init_ + b * block_; t < n_init_ + (b + 1) * block_; ++t) s.push_back(t);
    for (int t = n_init_ + nb * block_; t < n; ++t) s.push_back(t);
    for (auto& o : out) o = s;
  }
  void observe(const LayerDecode& l, const Selection& sel, const std::vector<std::vector<float>>& probs) override {
    const int lo = mem_end(l.length);
    for (int qh = 0; qh < shape_.n_heads; ++qh) {
      auto& acc = local_[l.layer][qh / shape_.group()];
      for (std::size_t i = 0; i < sel[qh].size(); ++i)
        if (sel[qh][i] >= lo) {
          acc[sel[qh][i]] += probs[qh][i];
          ++decode_work_.accumulations;
        }
    }
  }
  std::int64_t resident(int layer, int) const override { return length_[layer]; }
  PolicyWork declared_prefill_work(const PolicyShape& sh) const override {
    PolicyWork w;
    const std::int64_t n = sh.prompt_length;
    std::int64_t local_pairs = 0;
    for (std::int64_t j = n_init_; j < n; ++j) local_pairs += std::min<std::int64_t>(n_local_, n - j);
    w.score_macs = sh.n_layers * sh.n_heads * causal_pairs(n) * sh.head_dim;
    w.exps = sh.n_layers * sh.n_heads * causal_pairs(n);
    w.accumulations = sh.n_layers * sh.n_heads * local_pairs;
    for (int b = 0; b < blocks_at(static_cast<int>(n)); ++b)
      for (int l = 0; l < sh.n_layers; ++l) w += block_work(sh);
    return w;
  }
  PolicyWork declared_decode_work(const PolicyShape& sh, int n) const override {
    PolicyWork w;
    for (int b = blocks_at(n - 1); b < blocks_at(n); ++b)
      for (int l = 0; l < sh.n_layers; ++l) w += block_work(sh);
    if (blocks_at(n) > topk_blocks_)
      for (int l = 0; l < sh.n_layers; ++l) w += retrieval_work(sh, blocks_at(n));
    w.accumulations += static_cast<std::int64_t>(sh.n_layers) * sh.n_heads * (n - mem_end(n));
    return w;
  }

 private:
  PolicyWork block_work(const PolicyShape& sh) const {
    PolicyWork w;
    w.topk_calls = sh.n_kv_heads;
    w.topk_candidates = static_cast<std::int64_t>(sh.n_kv_heads) * block_;
    w.topk_selected = static_cast<std::int64_t>(sh.n_kv_heads) * repr_topk_;
    w.accumulations = static_cast<std::int64_t>(sh.n_kv_heads) * repr_topk_ * sh.head_dim;
    w.metadata_updates = static_cast<std::int64_t>(sh.n_kv_heads) * sh.head_dim;
    return w;
  }
  PolicyWork retrieval_work(const PolicyShape& sh, int nb) const {
    PolicyWork w;
    w.score_macs = static_cast<std::int64_t>(sh.n_heads) * nb * sh.head_dim;
    w.topk_calls = 1;
    w.topk_candidates = nb;
    w.topk_selected = topk_blocks_;
    w.gathered_rows = static_cast<std::int64_t>(sh.n_kv_heads) * topk_blocks_ * block_;
    return w;
  }
  void form_blocks(int layer, const std::vector<MatrixRM>& keys, int upto, PolicyWork& work) {
    for (int b = formed_[layer]; b < upto; ++b) {
      const int lo = n_init_ + b * block_;
      for (int kh = 0; kh < shape_.n_kv_heads; ++kh) {
        const auto& score = local_[layer][kh];
        const auto best = top_k(std::span<const float>(score.data() + lo, block_), repr_topk_);
        auto& rep = repr_[layer][kh];
        rep.conservativeResize(b + 1, shape_.head_dim);
        rep.row(b).setZero();
        for (int i : best) rep.row(b) += keys[kh].row(lo + i);
        rep.row(b) /= static_cast<float>(best.size());
      }
      work += block_work(shape_);
    }
    formed_[layer] = std::max(formed_[layer], upto);
  }

  int n_init_, block_, repr_topk_, n_local_ = 0, topk_blocks_ = 0;
  std::vector<std::vector<std::vector<float>>> local_;  // [layer][kv_head][position]
  std::vector<std::vector<MatrixRM>> repr_;             // [layer][kv_head] (blocks x head_dim)
  std::vector<int> formed_, length_;
};

}  // namespace

std::unique_ptr<KvPolicy> make_quest(ResolvedParams& p) {
  return std::make_unique<QuestPolicy>(as_int(p, "budget"), as_int(p, "page_size"), as_int(p, "dense_layers"));
}
std::unique_ptr<KvPolicy> make_infllm(ResolvedParams& p) {
  return std::make_unique<InfLlmPolicy>(as_int(p, "budget"), as_int(p, "n_init"), as_int(p, "block_size"),
                                        as_int(p, "repr_topk"), p["local_fraction"]);
}

}  // namespace kvsim::models::kv
