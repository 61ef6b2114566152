// models/kv/prefill_policies.cpp — policies that choose once, after prefill, and then only append
// generated tokens: SnapKV and PyramidKV (kv-policies brief 2.3, 2.5) and TriForce's retrieval
// cache (2.9).
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "models/kv/attention.h"
#include "models/kv/policies.h"

namespace kvsim::models::kv {

int pyramid_capacity(int layer, int n_layers, int prompt_length, int capacity, int window, int beta) {
  const int L = prompt_length, C = capacity, w = window;
  if (L < C) return L - w;
  if (L < 2 * (C - w) || n_layers == 1) return C - w;
  int min_num = (C - w) / beta;
  int max_num = 2 * (C - w) - min_num;
  if (max_num >= L - w) {
    max_num = L - w;
    min_num = 2 * (C - w) - max_num;
  }
  const int steps = (max_num - min_num) / (n_layers - 1);
  return max_num - layer * steps;
}

namespace {

int as_int(ResolvedParams& p, const char* key) { return static_cast<int>(std::lround(p[key])); }

// SnapKV (and PyramidKV with per-layer capacities): the last `window` prompt queries vote with
// their causal attention; per KV head the group's votes are averaged (KVCache-Factory kv_head mode,
// mean before pooling); the votes are pooled (stride 1, padding kernel/2) and the top past tokens
// plus the window are kept. Compresses only when the prompt reaches the budget.
class SnapKvPolicy final : public KvPolicy {
 public:
  SnapKvPolicy(int budget, int window, int kernel, bool maxpool, bool pyramid, int beta)
      : budget_(budget), window_(window), kernel_(kernel), maxpool_(maxpool), pyramid_(pyramid), beta_(beta) {
    if (window_ >= budget_) throw std::invalid_argument(std::string(name()) + ": window must be smaller than the budget");
    if (kernel_ < 1 || kernel_ % 2 == 0) throw std::invalid_argument(std::string(name()) + ": kernel must be odd");
  }
  std::string_view name() const override { return pyramid_ ? "pyramidkv" : "snapkv"; }
  void begin(const PolicyShape& shape) override {
    KvPolicy::begin(shape);
    kept_.assign(shape.n_layers, std::vector<std::vector<std::int32_t>>(shape.n_kv_heads));
    length_.assign(shape.n_layers, shape.prompt_length);
  }
  int past_capacity(const PolicyShape& sh, int layer) const {
    return pyramid_ ? pyramid_capacity(layer, sh.n_layers, sh.prompt_length, budget_, window_, beta_) : budget_ - window_;
  }
  void prefill(const LayerPrefill& l) override {
    const int n = l.length, w = window_, past = n - w;
    const int keep_past = past_capacity(shape_, l.layer);
    for (auto& k : kept_[l.layer]) k = iota_positions(0, n);
    if (n < budget_ || keep_past >= past) return;
    const int G = shape_.group();
    MatrixRM probs;
    for (int kh = 0; kh < shape_.n_kv_heads; ++kh) {
      std::vector<float> votes(past, 0.0f);
      for (int g = 0; g < G; ++g) {
        causal_attention_rows((*l.queries)[kh * G + g], (*l.keys)[kh], past, n, n, probs);
        for (int r = 0; r < w; ++r)
          for (int j = 0; j < past; ++j) votes[j] += probs(r, j) / static_cast<float>(G);
      }
      const auto pooled = pool(votes);
      auto kept = top_k(pooled, keep_past);
      const auto win = iota_positions(past, n);
      kept.insert(kept.end(), win.begin(), win.end());
      kept_[l.layer][kh] = std::move(kept);
    }
    prefill_work_ += layer_prefill_work(shape_, l.layer);
  }
  void select(const LayerDecode& l, Selection& out) override {
    length_[l.layer] = l.length;
    for (int kh = 0; kh < shape_.n_kv_heads; ++kh) {
      auto& kept = kept_[l.layer][kh];
      kept.push_back(l.length - 1);
      fill_group(out, kh, shape_.group(), kept);
    }
  }
  std::int64_t resident(int layer, int kv_head) const override {
    return static_cast<std::int64_t>(kept_[layer][kv_head].size());
  }
  PolicyWork declared_prefill_work(const PolicyShape& sh) const override {
    PolicyWork w;
    for (int l = 0; l < sh.n_layers; ++l) w += layer_prefill_work(sh, l);
    return w;
  }
  PolicyWork declared_decode_work(const PolicyShape&, int) const override { return {}; }

 private:
  PolicyWork layer_prefill_work(const PolicyShape& sh, int layer) const {
    PolicyWork w;
    const std::int64_t n = sh.prompt_length, past = n - window_;
    const int keep_past = past_capacity(sh, layer);
    if (n < budget_ || keep_past >= past) return w;
    const std::int64_t rows_keys = causal_pairs(n) - causal_pairs(past);  // window rows see past + i + 1 keys
    w.score_macs = sh.n_heads * rows_keys * sh.head_dim;
    w.exps = sh.n_heads * rows_keys;
    w.accumulations = sh.n_heads * window_ * past;
    (maxpool_ ? w.comparisons : w.accumulations) += sh.n_kv_heads * past * (kernel_ - 1);
    w.topk_calls = sh.n_kv_heads;
    w.topk_candidates = sh.n_kv_heads * past;
    w.topk_selected = static_cast<std::int64_t>(sh.n_kv_heads) * keep_past;
    w.gathered_rows = static_cast<std::int64_t>(sh.n_kv_heads) * (keep_past + window_);
    return w;
  }
  // Stride-1 pooling with kernel/2 padding: max pads with -inf; average counts the zero padding
  // (PyTorch's count_include_pad = True).
  std::vector<float> pool(const std::vector<float>& v) const {
    const int n = static_cast<int>(v.size()), half = kernel_ / 2;
    std::vector<float> out(n);
    for (int j = 0; j < n; ++j) {
      float acc = maxpool_ ? -std::numeric_limits<float>::infinity() : 0.0f;
      for (int t = j - half; t <= j + half; ++t) {
        if (t < 0 || t >= n) continue;
        acc = maxpool_ ? std::max(acc, v[t]) : acc + v[t];
      }
      out[j] = maxpool_ ? acc : acc / static_cast<float>(kernel_);
    }
    return out;
  }

  int budget_, window_, kernel_;
  bool maxpool_, pyramid_;
  int beta_;
  std::vector<std::vector<std::vector<std::int32_t>>> kept_;
  std::vector<int> length_;
};

// TriForce's retrieval cache: per query head, chunk-mean keys of the prefilled prompt are scored
// by the query of the last prompt token (no scaling, no softmax); the sink chunk 0 plus the top
// (budget/chunk - 1) chunks are gathered in rank order. Generated tokens overwrite the tail of that
// region, so a step sees the best-ranked (budget - generated) retrieved tokens plus every token
// after the prefill. A trailing partial chunk is averaged over the tokens it has (the released
// code requires prefill % chunk == 0).
//
// Why the cache is built at the first decode step: the released code prefills prompt[:-1] and
// runs the last prompt token as a one-token step on the full cache; that step's query (the
// question's end in the whole-prompt setting) scores the chunks. So the first step attends to
// every position and ranks; later steps use the ranking. The chunk means are prefill work, the
// scoring, top-k and gather are the first step's work.
class TriForcePolicy final : public KvPolicy {
 public:
  TriForcePolicy(int budget, int chunk) : budget_(budget), chunk_(chunk) {
    if (chunk_ < 1 || budget_ % chunk_ != 0 || budget_ < 2 * chunk_)
      throw std::invalid_argument("triforce: budget must be a multiple of chunk, at least two chunks");
  }
  std::string_view name() const override { return "triforce"; }
  void begin(const PolicyShape& shape) override {
    KvPolicy::begin(shape);
    ranked_.assign(shape.n_layers, std::vector<std::vector<std::int32_t>>(shape.n_heads));
    means_.assign(shape.n_layers, {});
    generated_.assign(shape.n_layers, 0);
  }
  void prefill(const LayerPrefill& l) override {
    const int n = l.length, d = shape_.head_dim;
    if (n <= budget_) {
      for (auto& r : ranked_[l.layer]) r = iota_positions(0, n);
      return;
    }
    const int chunks = (n + chunk_ - 1) / chunk_;
    auto& means = means_[l.layer];
    means.assign(shape_.n_kv_heads, MatrixRM::Zero(chunks, d));
    for (int kh = 0; kh < shape_.n_kv_heads; ++kh)
      for (int c = 0; c < chunks; ++c) {
        const int lo = c * chunk_, hi = std::min(n, lo + chunk_);
        means[kh].row(c) = (*l.keys)[kh].middleRows(lo, hi - lo).colwise().sum() / static_cast<float>(hi - lo);
      }
    prefill_work_ += layer_mean_work(shape_);
  }
  void select(const LayerDecode& l, Selection& out) override {
    const int prompt = shape_.prompt_length;
    const int generated = l.length - prompt;
    generated_[l.layer] = generated;
    if (!means_[l.layer].empty()) {  // the last prompt token's step: rank, attend to everything
      rank(l);
      for (auto& s : out) s = iota_positions(0, l.length);
      return;
    }
    for (int qh = 0; qh < shape_.n_heads; ++qh) {
      const auto& ranked = ranked_[l.layer][qh];
      const int retrieved = prompt <= budget_ ? static_cast<int>(ranked.size())
                                              : std::max(0, std::min(static_cast<int>(ranked.size()), budget_ - generated));
      auto& s = out[qh];
      s.assign(ranked.begin(), ranked.begin() + retrieved);
      std::sort(s.begin(), s.end());
      for (int p = prompt; p < l.length; ++p) s.push_back(p);
    }
  }
  std::int64_t resident(int layer, int kv_head) const override {
    // TriForce keeps a separate cache per query head (GQA repeated): the group's sizes add up.
    std::int64_t total = 0;
    const int generated = generated_[layer];
    for (int g = 0; g < shape_.group(); ++g) {
      const auto size = static_cast<std::int64_t>(ranked_[layer][kv_head * shape_.group() + g].size());
      total += (shape_.prompt_length <= budget_ ? size : std::min<std::int64_t>(size, std::max(0, budget_ - generated))) + generated;
    }
    return total;
  }
  PolicyWork declared_prefill_work(const PolicyShape& sh) const override {
    PolicyWork w;
    if (sh.prompt_length <= budget_) return w;
    for (int l = 0; l < sh.n_layers; ++l) w += layer_mean_work(sh);
    return w;
  }
  PolicyWork declared_decode_work(const PolicyShape& sh, int length) const override {
    PolicyWork w;
    if (sh.prompt_length <= budget_ || length != sh.prompt_length + 1) return w;
    for (int l = 0; l < sh.n_layers; ++l) w += layer_rank_work(sh);
    return w;
  }

 private:
  // Scores every chunk but the sink with this step's query, per query head, and keeps the best.
  void rank(const LayerDecode& l) {
    auto& means = means_[l.layer];
    const int n = shape_.prompt_length, chunks = static_cast<int>(means.front().rows());
    const int keep = budget_ / chunk_ - 1;
    for (int qh = 0; qh < shape_.n_heads; ++qh) {
      const Eigen::VectorXf& q = (*l.queries)[qh];
      std::vector<float> score(chunks - 1);
      for (int c = 1; c < chunks; ++c) score[c - 1] = means[qh / shape_.group()].row(c).dot(q);
      // Rank order (best first), ties to the lower chunk.
      std::vector<std::int32_t> order(chunks - 1);
      for (int i = 0; i < chunks - 1; ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return score[a] > score[b]; });
      order.resize(std::min(keep, chunks - 1));
      auto& ranked = ranked_[l.layer][qh];
      ranked = iota_positions(0, chunk_);
      for (int c : order) {
        const auto toks = iota_positions((c + 1) * chunk_, std::min(n, (c + 2) * chunk_));
        ranked.insert(ranked.end(), toks.begin(), toks.end());
      }
    }
    means.clear();
    decode_work_ += layer_rank_work(shape_);
  }
  PolicyWork layer_mean_work(const PolicyShape& sh) const {
    PolicyWork w;
    const std::int64_t n = sh.prompt_length, chunks = (n + chunk_ - 1) / chunk_, d = sh.head_dim;
    w.accumulations = sh.n_kv_heads * n * d;
    w.metadata_updates = sh.n_kv_heads * chunks * d;
    return w;
  }
  PolicyWork layer_rank_work(const PolicyShape& sh) const {
    PolicyWork w;
    const std::int64_t n = sh.prompt_length, chunks = (n + chunk_ - 1) / chunk_, d = sh.head_dim;
    const std::int64_t keep = std::min<std::int64_t>(budget_ / chunk_ - 1, chunks - 1);
    w.score_macs = sh.n_heads * (chunks - 1) * d;
    w.topk_calls = sh.n_heads;
    w.topk_candidates = sh.n_heads * (chunks - 1);
    w.topk_selected = sh.n_heads * keep;
    w.gathered_rows = sh.n_heads * std::min<std::int64_t>(n, chunk_ * (keep + 1));
    return w;
  }

  int budget_, chunk_;
  std::vector<std::vector<std::vector<std::int32_t>>> ranked_;  // [layer][q_head] sink chunk + chunks by rank
  std::vector<std::vector<MatrixRM>> means_;  // [layer][kv_head] chunk means until the ranking step
  std::vector<int> generated_;
};

}  // namespace

std::unique_ptr<KvPolicy> make_snapkv(ResolvedParams& p, bool pyramid) {
  return std::make_unique<SnapKvPolicy>(as_int(p, "budget"), as_int(p, "window"), as_int(p, "kernel"), p["maxpool"] != 0,
                                        pyramid, pyramid ? as_int(p, "beta") : 20);
}
std::unique_ptr<KvPolicy> make_triforce(ResolvedParams& p) {
  return std::make_unique<TriForcePolicy>(as_int(p, "budget"), as_int(p, "chunk"));
}

}  // namespace kvsim::models::kv
