// models/kv/basic_policies.cpp — full cache, StreamingLLM, H2O and TOVA (kv-policies brief 2.1,
// 2.2, 2.4), plus the helpers every policy file shares and the name -> class dispatch.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "models/kv/attention.h"
#include "models/kv/policies.h"

namespace kvsim::models::kv {

std::int64_t causal_pairs(std::int64_t length) { return length * (length + 1) / 2; }

void fill_group(Selection& out, int kv_head, int group, const std::vector<std::int32_t>& positions) {
  for (int g = 0; g < group; ++g) out[kv_head * group + g] = positions;
}

void accumulate_prefill_attention(const LayerPrefill& layer, int group, std::vector<std::vector<float>>& per_kv_head,
                                  PolicyWork& work, int local_window, int first_key) {
  const int n = layer.length;
  const int heads = static_cast<int>(layer.queries->size());
  const int d = static_cast<int>((*layer.queries)[0].cols());
  const auto first_of_row = [&](int i) { return local_window > 0 ? std::max(first_key, i - local_window + 1) : 0; };
  const auto declare_head = [&] {
    for (int i = 0; i < n; ++i) work.accumulations += std::max(0, i - first_of_row(i) + 1);
    work.score_macs += causal_pairs(n) * d;
    work.exps += causal_pairs(n);
  };
  // The prefill's own softmax, when offered: every row is its column sums (bit for bit); a band
  // needs only the band's scores. The work declared is the recomputation's either way: it is what
  // a policy beside a real prefill kernel does.
  if (const PrefillAttention* att = layer.attention) {
    if (local_window <= 0) {
      if (static_cast<int>(att->column_sums.size()) != heads / group || static_cast<int>(att->column_sums[0].size()) != n)
        throw std::logic_error("accumulate_prefill_attention: prefill attention of another shape");
      per_kv_head = att->column_sums;
    } else {
      if (static_cast<int>(att->row_peak.size()) != heads || static_cast<int>(att->row_sum.size()) != heads ||
          att->row_peak[0].size() != n || att->row_sum[0].size() != n)
        throw std::logic_error("accumulate_prefill_attention: prefill normalizers of another shape");
      per_kv_head.assign(heads / group, std::vector<float>(n, 0.0f));
      for (int qh = 0; qh < heads; ++qh)
        banded_attention_sums((*layer.queries)[qh], (*layer.keys)[qh / group], att->row_peak[qh], att->row_sum[qh], n,
                              local_window, first_key, per_kv_head[qh / group]);
    }
    for (int qh = 0; qh < heads; ++qh) declare_head();
    return;
  }
  per_kv_head.assign(heads / group, std::vector<float>(n, 0.0f));
  MatrixRM probs;
  constexpr int kRowBlock = 256;  // bounds the probability buffer at 256 x n floats
  for (int qh = 0; qh < heads; ++qh) {
    auto& acc = per_kv_head[qh / group];
    for (int r0 = 0; r0 < n; r0 += kRowBlock) {
      const int r1 = std::min(n, r0 + kRowBlock);
      causal_attention_rows((*layer.queries)[qh], (*layer.keys)[qh / group], r0, r1, n, probs);
      for (int i = r0; i < r1; ++i)
        for (int j = first_of_row(i); j <= i; ++j) acc[j] += probs(i - r0, j);
    }
    declare_head();
  }
}

namespace {

// Tracks the latest cache length per layer so resident() can answer for policies whose memory is a
// function of the length.
class LengthTracking : public KvPolicy {
 public:
  void begin(const PolicyShape& shape) override {
    KvPolicy::begin(shape);
    length_.assign(shape.n_layers, shape.prompt_length);
  }

 protected:
  std::vector<int> length_;
};

class FullPolicy final : public LengthTracking {
 public:
  std::string_view name() const override { return "full"; }
  void prefill(const LayerPrefill&) override {}
  void select(const LayerDecode& l, Selection& out) override {
    length_[l.layer] = l.length;
    const auto all = iota_positions(0, l.length);
    for (auto& s : out) s = all;
  }
  std::int64_t resident(int layer, int) const override { return length_[layer]; }
  PolicyWork declared_decode_work(const PolicyShape&, int) const override { return {}; }
  PolicyWork declared_prefill_work(const PolicyShape&) const override { return {}; }
};

// Sinks + recent window over positions; nothing data-dependent, so no work to declare.
class StreamingPolicy final : public LengthTracking {
 public:
  StreamingPolicy(int budget, int sinks) : budget_(budget), sinks_(sinks) {
    if (sinks_ >= budget_) throw std::invalid_argument("streaming: sinks must be fewer than the budget");
  }
  std::string_view name() const override { return "streaming"; }
  void prefill(const LayerPrefill&) override {}
  void select(const LayerDecode& l, Selection& out) override {
    length_[l.layer] = l.length;
    std::vector<std::int32_t> keep;
    if (l.length <= budget_) {
      keep = iota_positions(0, l.length);
    } else {
      keep = iota_positions(0, sinks_);
      const auto recent = iota_positions(l.length - (budget_ - sinks_), l.length);
      keep.insert(keep.end(), recent.begin(), recent.end());
    }
    for (auto& s : out) s = keep;
  }
  std::int64_t resident(int layer, int) const override { return std::min(length_[layer], budget_); }
  PolicyWork declared_decode_work(const PolicyShape&, int) const override { return {}; }
  PolicyWork declared_prefill_work(const PolicyShape&) const override { return {}; }

 private:
  int budget_, sinks_;
};

// H2O as its decode-time cache does it: scores are the summed (not normalised) attention each key
// received, prefill column sums first, then every step's probabilities; per KV head the group's
// query heads add into one score. Evicts before attending once the cache would exceed the budget.
class H2oPolicy final : public KvPolicy {
 public:
  H2oPolicy(int budget, double recent_fraction)
      : budget_(budget), recent_(std::clamp(static_cast<int>(std::lround(budget * recent_fraction)), 1, budget)) {}
  std::string_view name() const override { return "h2o"; }
  void begin(const PolicyShape& shape) override {
    KvPolicy::begin(shape);
    kept_.assign(shape.n_layers, std::vector<std::vector<std::int32_t>>(shape.n_kv_heads));
    score_.assign(shape.n_layers, {});
  }
  void prefill(const LayerPrefill& l) override {
    const int n = l.length;
    accumulate_prefill_attention(l, shape_.group(), score_[l.layer], prefill_work_);
    for (int kh = 0; kh < shape_.n_kv_heads; ++kh) {
      auto& kept = kept_[l.layer][kh];
      if (n <= budget_) {
        kept = iota_positions(0, n);
        continue;
      }
      const auto& s = score_[l.layer][kh];
      kept = top_k(std::span<const float>(s.data(), n - recent_), budget_ - recent_);
      const auto recent = iota_positions(n - recent_, n);
      kept.insert(kept.end(), recent.begin(), recent.end());
      prefill_work_.topk_calls += 1;
      prefill_work_.topk_candidates += n - recent_;
      prefill_work_.topk_selected += budget_ - recent_;
      prefill_work_.gathered_rows += budget_;
    }
  }
  void select(const LayerDecode& l, Selection& out) override {
    for (int kh = 0; kh < shape_.n_kv_heads; ++kh) {
      auto& kept = kept_[l.layer][kh];
      auto& s = score_[l.layer][kh];
      s.resize(l.length, 0.0f);
      kept.push_back(l.length - 1);
      if (static_cast<int>(kept.size()) > budget_) {
        // Evict the lowest score outside the recent window (the last recent_ entries of the cache).
        const int candidates = static_cast<int>(kept.size()) - recent_;
        int victim = 0;
        for (int i = 1; i < candidates; ++i)
          if (s[kept[i]] < s[kept[victim]]) victim = i;
        decode_work_.comparisons += candidates - 1;
        kept.erase(kept.begin() + victim);
      }
      fill_group(out, kh, shape_.group(), kept);
    }
  }
  void observe(const LayerDecode& l, const Selection& sel, const std::vector<std::vector<float>>& probs) override {
    for (int qh = 0; qh < shape_.n_heads; ++qh) {
      auto& s = score_[l.layer][qh / shape_.group()];
      for (std::size_t i = 0; i < sel[qh].size(); ++i) s[sel[qh][i]] += probs[qh][i];
      decode_work_.accumulations += static_cast<std::int64_t>(sel[qh].size());
    }
  }
  std::int64_t resident(int layer, int kv_head) const override {
    return static_cast<std::int64_t>(kept_[layer][kv_head].size());
  }
  PolicyWork declared_prefill_work(const PolicyShape& sh) const override {
    PolicyWork w;
    const std::int64_t n = sh.prompt_length;
    w.score_macs = sh.n_layers * sh.n_heads * causal_pairs(n) * sh.head_dim;
    w.exps = w.accumulations = sh.n_layers * sh.n_heads * causal_pairs(n);
    if (n > budget_) {
      const std::int64_t units = static_cast<std::int64_t>(sh.n_layers) * sh.n_kv_heads;
      w.topk_calls = units;
      w.topk_candidates = units * (n - recent_);
      w.topk_selected = units * (budget_ - recent_);
      w.gathered_rows = units * budget_;
    }
    return w;
  }
  PolicyWork declared_decode_work(const PolicyShape& sh, int length) const override {
    PolicyWork w;
    const std::int64_t before = std::min(length, budget_ + 1);
    if (before > budget_) w.comparisons = static_cast<std::int64_t>(sh.n_layers) * sh.n_kv_heads * (before - recent_ - 1);
    w.accumulations = static_cast<std::int64_t>(sh.n_layers) * sh.n_heads * std::min(length, budget_);
    return w;
  }

 private:
  int budget_, recent_;
  std::vector<std::vector<std::vector<std::int32_t>>> kept_;  // [layer][kv_head] ascending
  std::vector<std::vector<std::vector<float>>> score_;        // [layer][kv_head][position]
};

// TOVA: one kept set per layer; after each attention, if over budget, drop the position with the
// lowest attention of the current query averaged over all heads.
class TovaPolicy final : public KvPolicy {
 public:
  explicit TovaPolicy(int budget) : budget_(budget) {}
  std::string_view name() const override { return "tova"; }
  void begin(const PolicyShape& shape) override {
    KvPolicy::begin(shape);
    kept_.assign(shape.n_layers, {});
  }
  void prefill(const LayerPrefill& l) override {
    const int n = l.length;
    auto& kept = kept_[l.layer];
    if (n <= budget_) {
      kept = iota_positions(0, n);
      return;
    }
    std::vector<float> mean(n, 0.0f);
    MatrixRM probs;
    for (int qh = 0; qh < shape_.n_heads; ++qh) {
      causal_attention_rows((*l.queries)[qh], (*l.keys)[qh / shape_.group()], n - 1, n, n, probs);
      for (int j = 0; j < n; ++j) mean[j] += probs(0, j);
    }
    kept = top_k(mean, budget_);
    prefill_work_.score_macs += static_cast<std::int64_t>(shape_.n_heads) * n * shape_.head_dim;
    prefill_work_.exps += static_cast<std::int64_t>(shape_.n_heads) * n;
    prefill_work_.accumulations += static_cast<std::int64_t>(shape_.n_heads) * n;
    prefill_work_.topk_calls += 1;
    prefill_work_.topk_candidates += n;
    prefill_work_.topk_selected += budget_;
    prefill_work_.gathered_rows += static_cast<std::int64_t>(shape_.n_kv_heads) * budget_;
  }
  void select(const LayerDecode& l, Selection& out) override {
    auto& kept = kept_[l.layer];
    kept.push_back(l.length - 1);
    for (auto& s : out) s = kept;
  }
  void observe(const LayerDecode& l, const Selection& sel, const std::vector<std::vector<float>>& probs) override {
    auto& kept = kept_[l.layer];
    if (static_cast<int>(kept.size()) <= budget_) return;
    std::vector<float> mean(kept.size(), 0.0f);
    for (int qh = 0; qh < shape_.n_heads; ++qh)
      for (std::size_t i = 0; i < sel[qh].size(); ++i) mean[i] += probs[qh][i];
    const auto victim = std::min_element(mean.begin(), mean.end()) - mean.begin();
    decode_work_.accumulations += static_cast<std::int64_t>(shape_.n_heads) * static_cast<std::int64_t>(kept.size());
    decode_work_.comparisons += static_cast<std::int64_t>(kept.size()) - 1;
    kept.erase(kept.begin() + victim);
  }
  std::int64_t resident(int layer, int) const override { return static_cast<std::int64_t>(kept_[layer].size()); }
  PolicyWork declared_prefill_work(const PolicyShape& sh) const override {
    PolicyWork w;
    const std::int64_t n = sh.prompt_length;
    if (n <= budget_) return w;
    w.score_macs = sh.n_layers * sh.n_heads * n * sh.head_dim;
    w.exps = w.accumulations = sh.n_layers * sh.n_heads * n;
    w.topk_calls = sh.n_layers;
    w.topk_candidates = sh.n_layers * n;
    w.topk_selected = sh.n_layers * static_cast<std::int64_t>(budget_);
    w.gathered_rows = static_cast<std::int64_t>(sh.n_layers) * sh.n_kv_heads * budget_;
    return w;
  }
  PolicyWork declared_decode_work(const PolicyShape& sh, int length) const override {
    PolicyWork w;
    const std::int64_t size = std::min(length, budget_ + 1);
    if (size <= budget_) return w;
    w.accumulations = static_cast<std::int64_t>(sh.n_layers) * sh.n_heads * size;
    w.comparisons = sh.n_layers * (size - 1);
    return w;
  }

 private:
  int budget_;
  std::vector<std::vector<std::int32_t>> kept_;  // [layer] ascending, shared by every head
};

int as_int(ResolvedParams& p, const char* key) { return static_cast<int>(std::lround(p[key])); }

}  // namespace

std::unique_ptr<KvPolicy> make_full() { return std::make_unique<FullPolicy>(); }
std::unique_ptr<KvPolicy> make_streaming(ResolvedParams& p) {
  return std::make_unique<StreamingPolicy>(as_int(p, "budget"), as_int(p, "sinks"));
}
std::unique_ptr<KvPolicy> make_h2o(ResolvedParams& p) {
  return std::make_unique<H2oPolicy>(as_int(p, "budget"), p["recent_fraction"]);
}
std::unique_ptr<KvPolicy> make_tova(ResolvedParams& p) { return std::make_unique<TovaPolicy>(as_int(p, "budget")); }

std::unique_ptr<KvPolicy> build_policy(const std::string& name, ResolvedParams& p) {
  if (name == "full") return make_full();
  if (name == "streaming") return make_streaming(p);
  if (name == "h2o") return make_h2o(p);
  if (name == "tova") return make_tova(p);
  if (name == "snapkv") return make_snapkv(p, false);
  if (name == "pyramidkv") return make_snapkv(p, true);
  if (name == "quest") return make_quest(p);
  if (name == "infllm") return make_infllm(p);
  if (name == "triforce") return make_triforce(p);
  if (name == "mpcache") return make_mpcache(p);
  throw std::invalid_argument("no implementation for KV policy '" + name + "'");
}

}  // namespace kvsim::models::kv
