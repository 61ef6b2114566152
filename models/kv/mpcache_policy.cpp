// models/kv/mpcache_policy.cpp — MPCache's selection (mpcache brief 4(a)-(e)), each optimization
// switchable for ablation:
// - static eviction (look-once): the last obs_fraction of prompt queries attend, unscaled and
//   unmasked as the released code does, to every prompt key; with the head mean per layer, a
//   token is kept if any observation query gives it at least tau (or, with static_keep_ratio, the
//   top share by the summed head mean). The kept set is shared by all heads of the layer.
// - dynamic selection over the kept sequence K' (kept prompt + generated): per query head,
//   contiguous clusters scored by the alpha-weighted min/max approximation q.(a*max + (1-a)*min)
//   (approximate_similarity = 0: the upper bound sum max(q max, q min)); hierarchical: level-1
//   clusters of cluster1 tokens pick ratio1 of themselves, level 2 (cluster2 tokens) chooses among
//   their children; the sink cluster and the last cluster are always kept. With both switches off
//   the selection is token level (exact q.k, top-k), the naive port the paper starts from.
// - cross-layer sharing: the first two and last two layers select for themselves; in between,
//   each even layer's selection (static and dynamic) is reused by the next odd layer.
// The budget replaces the released code's ratio2: level 2 keeps budget/cluster2 - 2 clusters
// besides the sink and the last. Deviation: the last cluster is always kept (the code adds it only
// when T' is not a multiple of cluster1), so the newest token is always attended.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include "models/kv/attention.h"
#include "models/kv/policies.h"

namespace kvsim::models::kv {
namespace {

int ceil_div(int a, int b) { return (a + b - 1) / b; }

struct Options {
  int budget = 256;
  double tau = 1e-4, static_keep_ratio = 0, cost_keep_ratio = 0.3, obs_fraction = 0.2, alpha = 0.6, ratio1 = 0.5;
  int cluster1 = 32, cluster2 = 16, dense_layers = 0;
  bool share = true, static_eviction = true, approximate = true, hierarchical = true;
};

class MpCachePolicy final : public KvPolicy {
 public:
  explicit MpCachePolicy(Options o) : o_(o) {
    if (o_.cluster1 % o_.cluster2 != 0) throw std::invalid_argument("mpcache: cluster1 must be a multiple of cluster2");
    if (o_.budget < 3 * o_.cluster2) throw std::invalid_argument("mpcache: budget must cover at least three level-2 clusters");
    k2_ = std::max(1, o_.budget / o_.cluster2 - 2);
  }
  std::string_view name() const override { return "mpcache"; }

  bool computes_own(int layer) const { return computes_own(shape_, layer); }
  bool computes_own(const PolicyShape& sh, int layer) const {
    if (!o_.share || layer < 2 || layer >= sh.n_layers - 2 || layer - 1 < o_.dense_layers) return true;
    return layer % 2 == 0;
  }
  // Layers that run the selection computation (the sharing pattern in the brief: 18 of 32).
  int selecting_layers(const PolicyShape& sh) const {
    int n = 0;
    for (int l = o_.dense_layers; l < sh.n_layers; ++l) n += computes_own(sh, l);
    return n;
  }

  void begin(const PolicyShape& shape) override {
    KvPolicy::begin(shape);
    keep_.assign(shape.n_layers, {});
    hi_.assign(shape.n_layers, std::vector<std::vector<MatrixRM>>(2, std::vector<MatrixRM>(shape.n_kv_heads)));
    lo_ = hi_;
    complete_.assign(shape.n_layers, {0, 0});
    last_sel_.assign(shape.n_layers, {});
    length_.assign(shape.n_layers, shape.prompt_length);
  }

  void prefill(const LayerPrefill& l) override {
    const int n = l.length;
    if (l.layer < o_.dense_layers || !o_.static_eviction) {
      keep_[l.layer] = iota_positions(0, n);
    } else if (!computes_own(l.layer)) {
      keep_[l.layer] = keep_[l.layer - 1];
      prefill_work_.gathered_rows += static_cast<std::int64_t>(shape_.n_kv_heads) * keep_[l.layer].size();
    } else {
      keep_[l.layer] = static_keep(l);
      prefill_work_ += static_work(shape_, static_cast<std::int64_t>(keep_[l.layer].size()));
    }
    if (l.layer >= o_.dense_layers && computes_own(l.layer)) refresh_extrema(l.layer, *l.keys, static_cast<int>(keep_[l.layer].size()), n, prefill_work_, false);
  }

  void select(const LayerDecode& l, Selection& out) override {
    const int n = l.length;
    length_[l.layer] = n;
    auto remain = keep_[l.layer];
    for (int p = shape_.prompt_length; p < n; ++p) remain.push_back(p);
    const int t_prime = static_cast<int>(remain.size());
    if (l.layer < o_.dense_layers) {
      for (auto& s : out) s = remain;
      return;
    }
    if (!computes_own(l.layer)) {
      out = last_sel_[l.layer - 1];
      if (t_prime > o_.budget) decode_work_.gathered_rows += static_cast<std::int64_t>(shape_.n_heads) * gathered(t_prime);
      return;
    }
    refresh_extrema(l.layer, *l.keys, t_prime, n, decode_work_, true, &remain);
    if (t_prime <= o_.budget) {
      for (auto& s : out) s = remain;
    } else {
      for (int qh = 0; qh < shape_.n_heads; ++qh) out[qh] = dynamic_select(l, qh, remain);
      decode_work_ += selection_work(shape_, t_prime);
    }
    last_sel_[l.layer] = out;
  }

  std::int64_t resident(int layer, int) const override {
    return static_cast<std::int64_t>(keep_[layer].size()) + (length_[layer] - shape_.prompt_length);
  }
  std::int64_t static_kept(int layer) const { return static_cast<std::int64_t>(keep_[layer].size()); }

  PolicyWork declared_prefill_work(const PolicyShape& sh) const override {
    PolicyWork w;
    for (int l = o_.dense_layers; l < sh.n_layers; ++l) {
      const std::int64_t kept = keep_count(sh, l);
      if (!computes_own(sh, l)) {
        if (o_.static_eviction) w.gathered_rows += sh.n_kv_heads * kept;
        continue;
      }
      if (o_.static_eviction) w += static_work(sh, kept);
      w += extrema_work(sh, static_cast<int>(kept), false);
    }
    return w;
  }
  PolicyWork declared_decode_work(const PolicyShape& sh, int length) const override {
    PolicyWork w;
    for (int l = o_.dense_layers; l < sh.n_layers; ++l) {
      const int t_prime = static_cast<int>(keep_count(sh, l)) + (length - sh.prompt_length);
      if (!computes_own(sh, l)) {
        if (t_prime > o_.budget) w.gathered_rows += sh.n_heads * static_cast<std::int64_t>(gathered(t_prime));
        continue;
      }
      w += extrema_work(sh, t_prime, true);
      if (t_prime > o_.budget) {
        w += selection_work(sh, t_prime);
        w.gathered_rows += sh.n_heads * static_cast<std::int64_t>(gathered(t_prime));
      }
    }
    return w;
  }

 private:
  // Prompt tokens kept by static eviction in `layer`: measured after a run, else the public ratio.
  std::int64_t keep_count(const PolicyShape& sh, int layer) const {
    if (!o_.static_eviction || layer < o_.dense_layers) return sh.prompt_length;
    if (layer < static_cast<int>(keep_.size()) && !keep_[layer].empty()) return static_cast<std::int64_t>(keep_[layer].size());
    const double ratio = o_.static_keep_ratio > 0 ? o_.static_keep_ratio : o_.cost_keep_ratio;
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(ratio * sh.prompt_length));
  }
  int observation_rows(int n) const { return kv::observation_rows(n, o_.obs_fraction); }

  // The static keep set depends on the prefill and on tau, the ratio and the window alone: a memo
  // on the prefill shares it between budgets.
  std::vector<std::int32_t> static_keep(const LayerPrefill& l) const {
    if (!l.attention || !l.attention->memo) return compute_static_keep(l);
    char key[160];
    std::snprintf(key, sizeof key, "mpcache/static-keep/tau=%.17g/ratio=%.17g/obs=%d", o_.tau, o_.static_keep_ratio,
                  observation_rows(l.length));
    return *l.attention->memo->get<std::vector<std::int32_t>>(key, [&] { return compute_static_keep(l); });
  }
  std::vector<std::int32_t> compute_static_keep(const LayerPrefill& l) const {
    const int n = l.length, obs = observation_rows(n);
    const MatrixRM mean = observation_attention(*l.queries, *l.keys, n, obs);
    if (o_.static_keep_ratio > 0) {
      std::vector<float> total(n);
      for (int j = 0; j < n; ++j) total[j] = mean.col(j).sum();
      return top_k(total, std::max(1, static_cast<int>(o_.static_keep_ratio * n)));
    }
    std::vector<std::int32_t> keep;
    for (int j = 0; j < n; ++j)
      if ((mean.col(j).array() >= static_cast<float>(o_.tau)).any()) keep.push_back(j);
    if (keep.empty() || keep.back() != n - 1) keep.push_back(n - 1);  // the last prompt token feeds decode
    std::sort(keep.begin(), keep.end());
    keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
    return keep;
  }
  PolicyWork static_work(const PolicyShape& sh, std::int64_t kept) const {
    PolicyWork w;
    const std::int64_t n = sh.prompt_length, obs = observation_rows(static_cast<int>(n));
    w.score_macs = sh.n_heads * obs * n * sh.head_dim;
    w.exps = sh.n_heads * obs * n;
    w.accumulations = sh.n_heads * obs * n;
    if (o_.static_keep_ratio > 0) {
      w.accumulations += obs * n;
      w.topk_calls = 1;
      w.topk_candidates = n;
      w.topk_selected = kept;
    } else {
      w.comparisons = obs * n;
    }
    w.gathered_rows = sh.n_kv_heads * kept;
    return w;
  }

  int level_size(int level) const { return level == 0 ? o_.cluster1 : o_.cluster2; }
  bool level_used(int level) const { return o_.hierarchical || level == 1; }
  bool token_level() const { return !o_.hierarchical && !o_.approximate; }

  // Extrema of complete clusters are computed once; the last (incomplete) cluster, padded with the
  // rows before it as the released code does, i.e. the last min(size, T') rows, every step.
  void refresh_extrema(int layer, const std::vector<MatrixRM>& keys, int t_prime, int n, PolicyWork& work, bool decode,
                       const std::vector<std::int32_t>* remain_in = nullptr) {
    if (token_level()) return;
    std::vector<std::int32_t> remain_local;
    if (!remain_in) {
      remain_local = keep_[layer];
      for (int p = shape_.prompt_length; p < n; ++p) remain_local.push_back(p);
      remain_in = &remain_local;
    }
    const auto& remain = *remain_in;
    for (int level = 0; level < 2; ++level) {
      if (!level_used(level)) continue;
      const int s = level_size(level);
      const int complete = t_prime / s;
      for (int kh = 0; kh < shape_.n_kv_heads; ++kh) {
        auto& hi = hi_[layer][level][kh];
        auto& lo = lo_[layer][level][kh];
        const int rows = ceil_div(t_prime, s);
        if (hi.rows() < rows) {
          hi.conservativeResize(std::max<Eigen::Index>(rows, 2 * hi.rows()), shape_.head_dim);
          lo.conservativeResize(hi.rows(), shape_.head_dim);
        }
        auto extrema = [&](int c, int first, int count) {
          hi.row(c) = keys[kh].row(remain[first]);
          lo.row(c) = hi.row(c);
          for (int i = 1; i < count; ++i) {
            hi.row(c) = hi.row(c).cwiseMax(keys[kh].row(remain[first + i]));
            lo.row(c) = lo.row(c).cwiseMin(keys[kh].row(remain[first + i]));
          }
        };
        for (int c = complete_[layer][level]; c < complete; ++c) extrema(c, c * s, s);
        if (t_prime % s != 0 && decode) {
          const int count = std::min(s, t_prime);
          extrema(complete, t_prime - count, count);
        }
      }
      const int fresh = complete - complete_[layer][level];
      work += cluster_work(shape_, s, fresh, 0);
      if (t_prime % s != 0 && decode) work += cluster_work(shape_, s, 0, std::min(s, t_prime));
      complete_[layer][level] = complete;
    }
  }
  // Work of computing `fresh` complete clusters and one partial cluster of `partial_rows` rows.
  PolicyWork cluster_work(const PolicyShape& sh, int s, int fresh, int partial_rows) const {
    PolicyWork w;
    const std::int64_t per = (o_.approximate ? 3 : 2) * static_cast<std::int64_t>(sh.head_dim);
    w.comparisons = sh.n_kv_heads * (static_cast<std::int64_t>(fresh) * 2 * sh.head_dim * (s - 1) +
                                     (partial_rows > 0 ? 2LL * sh.head_dim * (partial_rows - 1) : 0));
    w.metadata_updates = sh.n_kv_heads * per * (fresh + (partial_rows > 0 ? 1 : 0));
    return w;
  }
  // Declared extrema work: prefill computes the complete clusters of the kept prompt; each decode
  // step adds the cluster its token completes and refreshes the partial one.
  PolicyWork extrema_work(const PolicyShape& sh, int t_prime, bool decode) const {
    PolicyWork w;
    if (token_level()) return w;
    for (int level = 0; level < 2; ++level) {
      if (!level_used(level)) continue;
      const int s = level_size(level);
      if (!decode) {
        w += cluster_work(sh, s, t_prime / s, 0);
      } else {
        w += cluster_work(sh, s, t_prime % s == 0 ? 1 : 0, t_prime % s != 0 ? std::min(s, t_prime) : 0);
      }
    }
    return w;
  }

  float cluster_score(const Eigen::VectorXf& q, const MatrixRM& hi, const MatrixRM& lo, int c) const {
    if (o_.approximate) {
      const float a = static_cast<float>(o_.alpha);
      return q.dot(a * hi.row(c).transpose() + (1.0f - a) * lo.row(c).transpose());
    }
    return channel_bound(q, hi.row(c), lo.row(c));
  }
  // Rows of cluster c at size s among t_prime (the last cluster is the last min(s, T') rows).
  static void cluster_rows(int c, int s, int t_prime, std::vector<int>& rows) {
    const int clusters = ceil_div(t_prime, s);
    const int first = c == clusters - 1 ? std::max(0, t_prime - s) : c * s;
    const int last = c == clusters - 1 ? t_prime : (c + 1) * s;
    for (int r = first; r < last; ++r) rows.push_back(r);
  }
  int level1_keep(int c1) const { return std::min(std::max(0, c1 - 2), static_cast<int>(o_.ratio1 * c1)); }
  int children_candidates(int t_prime) const {
    const int c1 = ceil_div(t_prime, o_.cluster1), c2 = ceil_div(t_prime, o_.cluster2), r = o_.cluster1 / o_.cluster2;
    const int parents = level1_keep(c1) + std::min(2, c1);
    const int children = (parents - 1) * r + (c2 - r * (c1 - 1));
    return std::max(0, children - std::min(2, c2));
  }
  // Rows gathered per query head for a selection (whole clusters, as the one-hot gather moves them).
  int gathered(int t_prime) const {
    if (t_prime <= o_.budget) return t_prime;
    if (token_level()) return o_.budget;
    const int c2 = ceil_div(t_prime, o_.cluster2);
    const int candidates = o_.hierarchical ? children_candidates(t_prime) : std::max(0, c2 - 2);
    return (std::min(k2_, candidates) + std::min(2, c2)) * o_.cluster2;
  }

  std::vector<std::int32_t> dynamic_select(const LayerDecode& l, int qh, const std::vector<std::int32_t>& remain) {
    const int t_prime = static_cast<int>(remain.size());
    const auto& q = (*l.queries)[qh];
    const int kh = qh / shape_.group();
    std::vector<int> rows;
    if (token_level()) {
      std::vector<float> score(t_prime - 1);
      for (int i = 0; i < t_prime - 1; ++i) score[i] = (*l.keys)[kh].row(remain[i]).dot(q);
      for (int i : top_k(score, o_.budget - 1)) rows.push_back(i);
      rows.push_back(t_prime - 1);
    } else {
      const int s2 = o_.cluster2, c2 = ceil_div(t_prime, s2);
      std::vector<char> candidate(c2, 1);
      if (o_.hierarchical) {
        const int s1 = o_.cluster1, c1 = ceil_div(t_prime, s1), r = s1 / s2;
        std::vector<float> sim1(std::max(0, c1 - 2));
        for (int c = 1; c < c1 - 1; ++c) sim1[c - 1] = cluster_score(q, hi_[l.layer][0][kh], lo_[l.layer][0][kh], c);
        std::vector<int> parents = {0};
        for (int i : top_k(sim1, level1_keep(c1))) parents.push_back(i + 1);
        if (c1 > 1) parents.push_back(c1 - 1);
        std::fill(candidate.begin(), candidate.end(), 0);
        for (int p : parents)
          for (int ch = p * r; ch < std::min(c2, (p + 1) * r); ++ch) candidate[ch] = 1;
      }
      std::vector<float> sim2(c2);
      for (int c = 0; c < c2; ++c) sim2[c] = cluster_score(q, hi_[l.layer][1][kh], lo_[l.layer][1][kh], c);
      std::vector<float> masked;
      std::vector<int> ids;
      for (int c = 1; c < c2 - 1; ++c)
        if (candidate[c]) masked.push_back(sim2[c]), ids.push_back(c);
      std::vector<int> chosen = {0};
      for (int i : top_k(masked, k2_)) chosen.push_back(ids[i]);
      if (c2 > 1) chosen.push_back(c2 - 1);
      for (int c : chosen) cluster_rows(c, s2, t_prime, rows);
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    std::vector<std::int32_t> positions;
    positions.reserve(rows.size());
    for (int r : rows) positions.push_back(remain[r]);
    decode_work_.gathered_rows += gathered(t_prime);
    return positions;
  }

  PolicyWork selection_work(const PolicyShape& sh, int t_prime) const {
    PolicyWork w;
    const std::int64_t H = sh.n_heads, d = sh.head_dim;
    if (token_level()) {
      w.score_macs = H * (t_prime - 1) * d;
      w.topk_calls = H;
      w.topk_candidates = H * (t_prime - 1);
      w.topk_selected = H * std::min(o_.budget - 1, t_prime - 1);
      return w;
    }
    const std::int64_t macs = o_.approximate ? d : 2 * d;
    const std::int64_t cmp = o_.approximate ? 0 : d;
    const int c2 = ceil_div(t_prime, o_.cluster2);
    std::int64_t candidates2 = std::max(0, c2 - 2);
    if (o_.hierarchical) {
      const int c1 = ceil_div(t_prime, o_.cluster1);
      w.score_macs += H * std::max(0, c1 - 2) * macs;
      w.comparisons += H * std::max(0, c1 - 2) * cmp;
      w.topk_calls += H;
      w.topk_candidates += H * std::max(0, c1 - 2);
      w.topk_selected += H * level1_keep(c1);
      candidates2 = children_candidates(t_prime);
    }
    w.score_macs += H * c2 * macs;
    w.comparisons += H * c2 * cmp;
    w.topk_calls += H;
    w.topk_candidates += H * candidates2;
    w.topk_selected += H * std::min<std::int64_t>(k2_, candidates2);
    return w;
  }

  Options o_;
  int k2_ = 1;
  std::vector<std::vector<std::int32_t>> keep_;           // [layer] static keep set (prompt positions)
  std::vector<std::vector<std::vector<MatrixRM>>> hi_, lo_;  // [layer][level][kv_head] (clusters x d)
  std::vector<std::array<int, 2>> complete_;             // [layer][level] complete clusters computed
  std::vector<Selection> last_sel_;
  std::vector<int> length_;
};

}  // namespace

std::unique_ptr<KvPolicy> make_mpcache(ResolvedParams& p) {
  Options o;
  o.budget = static_cast<int>(std::lround(p["budget"]));
  o.tau = p["tau"];
  o.static_keep_ratio = p["static_keep_ratio"];
  o.cost_keep_ratio = p["cost_keep_ratio"];
  o.obs_fraction = p["obs_fraction"];
  o.alpha = p["alpha"];
  o.cluster1 = static_cast<int>(std::lround(p["cluster1"]));
  o.cluster2 = static_cast<int>(std::lround(p["cluster2"]));
  o.ratio1 = p["ratio1"];
  o.dense_layers = static_cast<int>(std::lround(p["dense_layers"]));
  o.share = p["share_layers"] != 0;
  o.static_eviction = p["static_eviction"] != 0;
  o.approximate = p["approximate_similarity"] != 0;
  o.hierarchical = p["hierarchical"] != 0;
  return std::make_unique<MpCachePolicy>(o);
}

}  // namespace kvsim::models::kv
