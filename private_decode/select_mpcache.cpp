// private_decode/select_mpcache.cpp — "mpcache": MPCache's selection under MPC. Look-once static
// eviction after the prefill keeps `static_keep` of the prompt (MPC QuickSelect on party 0's
// observation scores, then an order-restoring one-hot; or the kept positions revealed; or party
// 0's plaintext eviction — clusters are runs of consecutive kept tokens either way); cluster extrema are computed once and refreshed for the newest cluster each step;
// clusters are scored by the alpha min/max similarity or the exact bound, hierarchically (level 1
// picks parents) or flat, with one top-k for all heads or one per head, adjacent layers sharing
// the selection. cluster2 = 1 is the token-level port (candidates and scores of dynamic-naive).
#include <algorithm>
#include <memory>
#include <stdexcept>

#include "private_decode/selector.h"

namespace kvsim::private_decode {
namespace {

class MpcacheSelector final : public GroupSelector {
 public:
  using GroupSelector::GroupSelector;

  // One-time work after prefill: static eviction (compacted as MpcSelection::static_mode says;
  // the kept set shared by the layer's heads) and the cluster summaries of complete clusters.
  Task<void> after_prefill() override {
    const int Hk = a.kv_heads;
    if (s.static_eviction) {
      const int keep = std::max(1, static_cast<int>(s.static_keep * cached));
      if (s.static_mode == "one-hot") co_await evict_by_one_hot(keep);
      else co_await evict_by_positions(keep);
      cached = keep;
    }
    co_await prepare_gather_tables();
    // Summaries of the complete clusters (computed once); none for the token-level port.
    if (s.cluster2 == 1) co_return;
    for (int l = 0; l < a.layers; ++l) {
      if (!selects_own(l)) continue;
      auto& L = m.layers[static_cast<std::size_t>(l)];
      L.hi.assign(2, {});
      L.lo.assign(2, {});
      for (int level = 0; level < 2; ++level) {
        if (level == 0 && !s.hierarchical) continue;
        const int sz = level == 0 ? s.cluster1 : s.cluster2;
        const int clusters = (cached + sz - 1) / sz;
        for (int h = 0; h < Hk; ++h) {
          Share mx, mn;
          co_await summarize(L.k[static_cast<std::size_t>(h)], cached, sz, clusters, "static", mx, mn);
          L.hi[static_cast<std::size_t>(level)].push_back(std::move(mx));
          L.lo[static_cast<std::size_t>(level)].push_back(std::move(mn));
        }
      }
    }
  }

 protected:
  // Adjacent layers share a selection: the even layer of each pair selects (the first and last
  // two layers always select their own).
  bool selects_own(int l) const override {
    if (!s.share_layers || l < 2 || l >= a.layers - 2) return true;
    return l % 2 == 0;
  }

  Candidates candidates(int n) const override {
    if (s.cluster2 == 1) return token_candidates(s, a, n);
    Candidates c;
    c.width = s.cluster2;
    const int c2 = (n + c.width - 1) / c.width;
    c.groups = c2 - 2;
    c.k = std::min(c.groups, std::max(1, s.budget / c.width - 2));
    for (int t = 0; t < c.width; ++t) c.public_rows.push_back(t);
    for (int t = std::max(c.width, n - c.width); t < n; ++t) c.public_rows.push_back(t);
    c.score_rows = a.heads;
    c.first = c.width;  // cluster 0 (the sink) is public
    return c;
  }

  Task<Share> scores(int l, const Share& q, std::vector<Share>& K, std::vector<Share>& V, int n, const Candidates& c) override {
    if (c.token_level) {
      Share sc = co_await token_scores(ops, a, q, K, V, n, c.groups);
      co_return sc;
    }
    Share sc = co_await cluster_scores(l, q, K, n);
    co_return sc;
  }

  // MPCache's last cluster is padded with the rows before it (the released code's last
  // min(s, T') rows), so those rows are attended twice when the cluster they belong to (the
  // last candidate) is also picked. The released code's masks attend them once; here the
  // gathered copies get a large negative score offset, one-hot column times a public constant
  // (local), so that the softmax drops them.
  void adjust(const Share& onehot, const Candidates& c, int n, Attended& out) override {
    if (c.token_level) return;
    const int H = a.heads, width = c.width, groups = c.groups, k = c.k;
    const int n_att = out.n;
    const std::vector<int>& public_rows = c.public_rows;
    const int dup_from = n - (groups + 1) * width;  // first duplicated row inside the last candidate
    if (dup_from > 0 && dup_from < width) {
      const int pub = static_cast<int>(public_rows.size());
      std::vector<std::int64_t> col;  // onehot (H, k, groups): column groups - 1 of every slot
      for (int h = 0; h < H; ++h)
        for (int j = 0; j < k; ++j) col.push_back((static_cast<std::int64_t>(h) * k + j) * groups + groups - 1);
      const Share picked_last = take(onehot, col, Shape{H * k});
      const Share drop = ops.P.mul_public(picked_last, protocols::encode_fixed(-1024.0, ops.P.frac_bits()));
      // Spread to (H, n_att): zero for public rows and for rows before dup_from.
      std::vector<std::int64_t> idx;
      std::vector<char> live;
      for (int h = 0; h < H; ++h)
        for (int t = 0; t < n_att; ++t) {
          const int r = t - pub;
          const bool dup = r >= 0 && r % width >= dup_from;
          idx.push_back(dup ? static_cast<std::int64_t>(h) * k + r / width : 0);
          live.push_back(dup ? 1 : 0);
        }
      out.offset = take(drop, idx, Shape{H, n_att});
      if (protocols::has_data(out.offset))
        for (std::size_t i = 0; i < live.size(); ++i)
          if (!live[i]) {
            out.offset.s0[i] = 0;
            if (!out.offset.s1.empty()) out.offset.s1[i] = 0;
          }
    }
  }

 private:
  // Static eviction under MPC, nothing revealed: top-k over the prompt by the secret accumulated
  // scores, the order-restoring one-hot, a one-hot gather (the kept set shared by the layer's heads).
  Task<void> evict_by_one_hot(int keep) {
    const int hd = a.head_dim, Hk = a.kv_heads;
    for (int l = 0; l < a.layers; ++l) {
      auto& L = m.layers[static_cast<std::size_t>(l)];
      Share onehot;
      if (selects_own(l)) {
        Protocol::QuickSelect top = co_await static_top(l, keep);
        Share shuffled = co_await ops.one_hot("static", top.indices, cached);
        onehot = co_await in_prompt_order(shuffled, keep, cached);
        L.hi.assign(1, {onehot});  // stash for the sharing layer
      } else {
        onehot = m.layers[static_cast<std::size_t>(l - 1)].hi.front().front();
      }
      std::vector<const Share*> parts;
      for (int h = 0; h < Hk; ++h) parts.push_back(&L.k[static_cast<std::size_t>(h)]);
      for (int h = 0; h < Hk; ++h) parts.push_back(&L.v[static_cast<std::size_t>(h)]);
      // (T, 2 Hk d) with rows = tokens: K and V of every head side by side.
      const Share stacked = concat(parts, Shape{2 * Hk * cached * hd});
      const Share table = take_lazy(stacked, [&] {
        std::vector<std::int64_t> idx;
        for (int t = 0; t < cached; ++t)
          for (int p = 0; p < 2 * Hk; ++p)
            for (int c = 0; c < hd; ++c) idx.push_back(static_cast<std::int64_t>(p) * cached * hd + t * hd + c);
        return idx;
      }, Shape{cached, 2 * Hk * hd});
      Share kept = co_await ops.gather("static", onehot, table, MatDims{1, keep, cached, 2 * Hk * hd});
      for (int p = 0; p < 2 * Hk; ++p) {
        Share part = take_lazy(kept, [&] {
          std::vector<std::int64_t> col;
          for (int t = 0; t < keep; ++t)
            for (int c = 0; c < hd; ++c) col.push_back(static_cast<std::int64_t>(t) * 2 * Hk * hd + p * hd + c);
          return col;
        }, Shape{keep, hd});
        (p < Hk ? L.k[static_cast<std::size_t>(p)] : L.v[static_cast<std::size_t>(p - Hk)]) = std::move(part);
      }
    }
    for (auto& L : m.layers) L.hi.clear();
  }

  // Static eviction with public positions: "reveal" runs the MPC top-k and reveals which prompt
  // positions it keeps; "plaintext" takes them from party 0's own prefill (the artifact's
  // plaintext eviction) and party 0 inputs the kept rows. Either way the kept rows are taken in
  // prompt order, so clusters are runs of consecutive kept tokens. In cost mode the positions are
  // the first `keep` (only the shapes matter).
  Task<void> evict_by_positions(int keep) {
    const int hd = a.head_dim, Hk = a.kv_heads;
    std::vector<std::int64_t> rows;
    for (int l = 0; l < a.layers; ++l) {
      auto& L = m.layers[static_cast<std::size_t>(l)];
      const int chooser = selects_own(l) ? l : l - 1;
      if (s.static_mode == "reveal" && selects_own(l)) {
        Protocol::QuickSelect top = co_await static_top(l, keep);
        const RingTensor where = co_await ops.reveal("static", top.indices);
        rows.clear();
        for (Ring r : where.data) rows.push_back(static_cast<std::int64_t>(r));
      } else if (s.static_mode == "plaintext" && selects_own(l)) {
        rows = exec() && ops.P.id() == 0 ? plaintext_top(chooser, keep) : std::vector<std::int64_t>{};
      }
      if (rows.empty())
        for (std::int64_t t = static_cast<std::int64_t>(rows.size()); t < keep; ++t) rows.push_back(t);
      std::sort(rows.begin(), rows.end());
      const auto take_rows = [&] {
        std::vector<std::int64_t> idx;
        for (std::int64_t t : rows)
          for (int c = 0; c < hd; ++c) idx.push_back(t * hd + c);
        return idx;
      };
      for (int h = 0; h < Hk; ++h) {
        auto& K = L.k[static_cast<std::size_t>(h)];
        auto& V = L.v[static_cast<std::size_t>(h)];
        if (s.static_mode == "reveal") {
          K = take_lazy(K, take_rows, Shape{keep, hd});
          V = take_lazy(V, take_rows, Shape{keep, hd});
          continue;
        }
        // Party 0 inputs the kept rows of its plaintext cache (the others learn only their number).
        std::unique_ptr<RingTensor> kv, vv;
        if (exec() && ops.P.id() == 0) {
          kv = std::make_unique<RingTensor>(protocols::encode(Shape{keep, hd}, rows_of_cache(run.model->keys(l, h), rows), ops.P.frac_bits()));
          vv = std::make_unique<RingTensor>(protocols::encode(Shape{keep, hd}, rows_of_cache(run.model->values(l, h), rows), ops.P.frac_bits()));
        }
        const Shape kept_shape = Shape{keep, hd};
        K = co_await ops.input("static", 0, kv.get(), kept_shape);
        V = co_await ops.input("static", 0, vv.get(), kept_shape);
      }
    }
  }

  // The MPC top-k of static eviction: the observation queries' accumulated attention, computed
  // by party 0 in its plaintext prefill (execute mode: the real ones, run.static_scores), input
  // secretly and ranked by QuickSelect.
  Task<Protocol::QuickSelect> static_top(int l, int keep) {
    std::unique_ptr<RingTensor> mine;
    if (exec() && ops.P.id() == 0)
      mine = std::make_unique<RingTensor>(protocols::encode(Shape{1, cached}, (*run.static_scores)[static_cast<std::size_t>(l)], ops.P.frac_bits()));
    const Shape scores_shape = Shape{1, cached};
    Share scores = co_await ops.input("static", 0, mine.get(), scores_shape);
    Protocol::QuickSelect top = co_await ops.topk("static", scores, 1, cached, keep);
    co_return top;
  }

  // Party 0's plaintext choice: the `keep` prompt positions of the highest scores (ties: the
  // earlier position), as MPCache's plaintext static eviction ranks them.
  std::vector<std::int64_t> plaintext_top(int layer, int keep) const {
    const std::vector<double>& sc = (*run.static_scores)[static_cast<std::size_t>(layer)];
    std::vector<std::int64_t> order(sc.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int64_t>(i);
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t x, std::int64_t y) {
      return sc[static_cast<std::size_t>(x)] > sc[static_cast<std::size_t>(y)];
    });
    order.resize(static_cast<std::size_t>(keep));
    return order;
  }
  template <class Matrix>
  std::vector<double> rows_of_cache(const Matrix& cache, const std::vector<std::int64_t>& rows) const {
    std::vector<double> out;
    for (std::int64_t t : rows)
      for (int c = 0; c < a.head_dim; ++c) out.push_back(cache(static_cast<Eigen::Index>(t), c));
    return out;
  }

  // QuickSelect returns the kept tokens in shuffled order, but MPCache's clusters are runs of
  // consecutive kept tokens: re-order the (keep x T) one-hot rows by prompt position. The
  // membership mask is the one-hot's column sums and each kept token's rank the mask's exclusive
  // prefix sum (both local); rank one-hot (T x keep) times the mask, transposed, is the ordered
  // selection. One-time work, about twice the one-hot above.
  Task<Share> in_prompt_order(const Share& onehot, int keep, int T) {
    const Share by_token = take_lazy(onehot, [&] { return transpose_indices(keep, T); }, Shape{T, keep});
    const Share mask = sum_rows(by_token, T, keep);
    const Share rank = exclusive_prefix_sum(mask);
    Share rank_onehot = co_await ops.one_hot("static", rank, keep);
    const Share wide_mask = repeat_each(mask, keep);
    Share ordered = co_await ops.mul_int("static", rank_onehot, wide_mask);
    co_return take_lazy(ordered, [&] { return transpose_indices(T, keep); }, Shape{keep, T});
  }

  // Channel-wise max and min of each cluster of `sz` rows of K (n x d); the last cluster is the
  // last min(sz, n) rows (the released code's padding). Returns (clusters x d) each.
  Task<void> summarize(const Share& K, int n, int sz, int clusters, const char* cat, Share& mx, Share& mn) {
    const int hd = a.head_dim;
    std::vector<int> firsts;
    for (int c = 0; c < clusters; ++c) firsts.push_back(c == clusters - 1 ? std::max(0, n - sz) : c * sz);
    const Share grid = channel_grid(K, n, firsts, sz);
    mx = co_await ops.max_rows(cat, grid, static_cast<std::int64_t>(clusters) * hd, sz);
    const Share neg = ops.P.mul_public(grid, static_cast<Ring>(-1));
    Share nmx = co_await ops.max_rows(cat, neg, static_cast<std::int64_t>(clusters) * hd, sz);
    mn = ops.P.mul_public(nmx, static_cast<Ring>(-1));
  }

  // MPCache's cluster scores over candidate level-2 clusters 1 .. C2-2: (H, C2-2).
  Task<Share> cluster_scores(int l, const Share& q, std::vector<Share>& K, int n) {
    const int H = a.heads, hd = a.head_dim, Hk = a.kv_heads, group = a.heads / a.kv_heads;
    auto& L = m.layers[static_cast<std::size_t>(l)];
    // Fold the new key into the newest cluster's extrema at each level: one batched comparison
    // per channel (max(hi, k), min(lo, k)) instead of re-reducing the cluster; a key that opens a
    // new cluster is its extrema.
    std::vector<Share> fresh;
    struct Slot { int level, head; bool opens; };
    std::vector<Slot> slots;
    for (int level = 0; level < 2; ++level) {
      if (level == 0 && !s.hierarchical) continue;
      const int sz = level == 0 ? s.cluster1 : s.cluster2;
      const bool opens = (n - 1) % sz == 0;
      for (int h = 0; h < Hk; ++h) slots.push_back({level, h, opens});
    }
    for (const Slot& sl : slots) fresh.push_back(rows_of(K[static_cast<std::size_t>(sl.head)], hd, n - 1, n));
    std::vector<const Share*> a_parts, b_parts;
    std::vector<Share> last_hi, last_lo;
    last_hi.reserve(slots.size());
    last_lo.reserve(slots.size());
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const Slot& sl = slots[i];
      auto& hi = L.hi[static_cast<std::size_t>(sl.level)][static_cast<std::size_t>(sl.head)];
      auto& lo = L.lo[static_cast<std::size_t>(sl.level)][static_cast<std::size_t>(sl.head)];
      const int have = static_cast<int>(hi.size() / hd);
      last_hi.push_back(rows_of(hi, hd, have - 1, have));
      last_lo.push_back(rows_of(lo, hd, have - 1, have));
    }
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (!slots[i].opens) {
        a_parts.push_back(&last_hi[i]);
        b_parts.push_back(&fresh[i]);
      }
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (!slots[i].opens) {
        a_parts.push_back(&fresh[i]);
        b_parts.push_back(&last_lo[i]);
      }
    std::vector<Share> updated(2 * slots.size());
    if (!a_parts.empty()) {
      const std::int64_t m2 = static_cast<std::int64_t>(a_parts.size()) * hd;
      const Share A = concat(a_parts, Shape{m2}), B = concat(b_parts, Shape{m2});
      // bit: old_hi < k (first half), k < old_lo (second half); new = bit ? k : old.
      std::vector<const Share*> kk, oo;
      for (std::size_t i = 0; i < slots.size(); ++i) if (!slots[i].opens) kk.push_back(&fresh[i]), oo.push_back(&last_hi[i]);
      for (std::size_t i = 0; i < slots.size(); ++i) if (!slots[i].opens) kk.push_back(&fresh[i]), oo.push_back(&last_lo[i]);
      const Share Kx = concat(kk, Shape{m2}), Ox = concat(oo, Shape{m2});
      Share picked = co_await ops.select_less("similarity", A, B, Kx, Ox);
      const std::int64_t half = m2 / 2 / hd;
      std::int64_t j = 0;
      for (std::size_t i = 0; i < slots.size(); ++i)
        if (!slots[i].opens) {
          updated[2 * i] = rows_of(picked, hd, j, j + 1);
          updated[2 * i + 1] = rows_of(picked, hd, half + j, half + j + 1);
          ++j;
        }
    }
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const Slot& sl = slots[i];
      auto& hi = L.hi[static_cast<std::size_t>(sl.level)][static_cast<std::size_t>(sl.head)];
      auto& lo = L.lo[static_cast<std::size_t>(sl.level)][static_cast<std::size_t>(sl.head)];
      const int have = static_cast<int>(hi.size() / hd);
      const int keep = sl.opens ? have : have - 1;
      const Share hk = rows_of(hi, hd, 0, keep), lk = rows_of(lo, hd, 0, keep);
      const Share& nh = sl.opens ? fresh[i] : updated[2 * i];
      const Share& nl = sl.opens ? fresh[i] : updated[2 * i + 1];
      const std::vector<const Share*> hp = {&hk, &nh}, lp = {&lk, &nl};
      hi = concat(hp, Shape{keep + 1, hd});
      lo = concat(lp, Shape{keep + 1, hd});
    }
    auto level_scores = [&](int level, int first, int count) -> Task<Share> {
      // Scores of clusters [first, first + count) for every query head: (H, count).
      std::vector<const Share*> hp, lp;
      std::vector<Share> hs, ls;
      for (int h = 0; h < H; ++h) {
        hs.push_back(rows_of(L.hi[static_cast<std::size_t>(level)][static_cast<std::size_t>(h / group)], hd, first, first + count));
        ls.push_back(rows_of(L.lo[static_cast<std::size_t>(level)][static_cast<std::size_t>(h / group)], hd, first, first + count));
      }
      for (int h = 0; h < H; ++h) hp.push_back(&hs[static_cast<std::size_t>(h)]), lp.push_back(&ls[static_cast<std::size_t>(h)]);
      const Share hi = concat(hp, Shape{H, count, hd}), lo = concat(lp, Shape{H, count, hd});
      if (s.approximate) {
        // r = alpha max + (1 - alpha) min, then q . r^T: summation before multiplication.
        const int f = ops.P.frac_bits();
        const Share mix = ops.P.add(ops.P.mul_public(hi, protocols::encode_fixed(s.alpha, f)),
                                    ops.P.mul_public(lo, protocols::encode_fixed(1 - s.alpha, f)));
        Share r = co_await ops.trunc("similarity", mix);
        const Share rt = take_lazy(r, [&] {
          std::vector<std::int64_t> idx;  // (H, d, count)
          for (int h = 0; h < H; ++h)
            for (int c = 0; c < hd; ++c)
              for (int j = 0; j < count; ++j) idx.push_back((static_cast<std::int64_t>(h) * count + j) * hd + c);
          return idx;
        }, Shape{H, hd, count});
        Share sc = co_await ops.matmul("similarity", q, rt, MatDims{H, 1, hd, count});
        co_return sc;
      }
      // The exact bound: sum_c max(q_c max_c, q_c min_c).
      const Share qw = take_lazy(q, [&] {
        std::vector<std::int64_t> qi;
        for (int h = 0; h < H; ++h)
          for (int j = 0; j < count; ++j)
            for (int c = 0; c < hd; ++c) qi.push_back(static_cast<std::int64_t>(h) * hd + c);
        return qi;
      }, Shape{H, count, hd});
      Share ph = co_await ops.mul("similarity", qw, hi);
      Share pl = co_await ops.mul("similarity", qw, lo);
      Share best = co_await ops.select_less("similarity", ph, pl, pl, ph);
      Share bound = sum_rows(best, static_cast<std::int64_t>(H) * count, hd);
      bound.shape = Shape{H, count};
      co_return bound;
    };
    const int c2 = (n + s.cluster2 - 1) / s.cluster2;
    Share sc2 = co_await level_scores(1, 1, c2 - 2);
    if (!s.hierarchical) co_return sc2;
    // Level 1 chooses parents among clusters 1 .. C1-2; children of unchosen parents are pushed
    // down by a large public offset before level 2's top-k.
    const int c1 = (n + s.cluster1 - 1) / s.cluster1, r = s.cluster1 / s.cluster2;
    if (c1 <= 2) co_return sc2;
    Share sc1 = co_await level_scores(0, 1, c1 - 2);
    const int k1 = std::max(1, std::min(c1 - 2, static_cast<int>(s.ratio1 * c1)));
    Protocol::QuickSelect top1 = co_await ops.topk("topk", sc1, H, c1 - 2, k1);
    Share oh1 = co_await ops.one_hot("one_hot", top1.indices, c1 - 2);
    const Share member = sum_rows(
        take(oh1, [&] {
          std::vector<std::int64_t> idx;  // (H, C1-2, k1): transpose to sum over the k1 picks
          for (int h = 0; h < H; ++h)
            for (int p = 0; p < c1 - 2; ++p)
              for (int j = 0; j < k1; ++j) idx.push_back((static_cast<std::int64_t>(h) * k1 + j) * (c1 - 2) + p);
          return idx;
        }(), Shape{H * (c1 - 2), k1}),
        static_cast<std::int64_t>(H) * (c1 - 2), k1);
    // Level-2 candidate j (cluster j + 1) has parent (j + 1) / r: 0 and C1-1 are always chosen.
    std::vector<std::int64_t> pidx;
    RingTensor ones(Shape{H, c2 - 2});
    for (int h = 0; h < H; ++h)
      for (int j = 0; j < c2 - 2; ++j) {
        const int parent = (j + 1) / r;
        const bool fixed = parent == 0 || parent >= c1 - 1;
        pidx.push_back(static_cast<std::int64_t>(h) * (c1 - 2) + std::clamp(parent - 1, 0, c1 - 3));
        if (fixed) ones.data[static_cast<std::size_t>(h * (c2 - 2) + j)] = 1;
      }
    Share mem2 = take(member, pidx, Shape{H, c2 - 2});
    if (protocols::has_data(mem2))
      for (std::size_t i = 0; i < ones.data.size(); ++i)
        if (ones.data[i]) {  // fixed parents: membership exactly 1 (public)
          mem2.s0[i] = 0;
          if (!mem2.s1.empty()) mem2.s1[i] = 0;
        }
    mem2 = ops.P.add_public(mem2, ones);
    // score + (membership - 1) * 2^12: non-children fall far below every child.
    RingTensor minus_one(Shape{H, c2 - 2});
    for (auto& v : minus_one.data) v = static_cast<Ring>(-1);
    const Share off = ops.P.mul_public(ops.P.add_public(mem2, minus_one), protocols::encode_fixed(4096.0, ops.P.frac_bits()));
    co_return ops.P.add(sc2, off);
  }
};

}  // namespace

std::unique_ptr<Selector> make_mpcache_selector(Context& c) { return std::make_unique<MpcacheSelector>(c); }

}  // namespace kvsim::private_decode
