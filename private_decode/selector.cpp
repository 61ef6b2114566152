// private_decode/selector.cpp — the group selection every dynamic method shares, the methods that
// select nothing (full, static) and the factory.
#include "private_decode/selector.h"

#include <algorithm>
#include <stdexcept>

namespace kvsim::private_decode {

Attended replicate(const PrivateArch& a, const std::vector<Share>& K, const std::vector<Share>& V, int n) {
  const int H = a.heads, hd = a.head_dim, group = a.heads / a.kv_heads;
  std::vector<const Share*> kp, vp;
  for (int h = 0; h < H; ++h) {
    kp.push_back(&K[static_cast<std::size_t>(h / group)]);
    vp.push_back(&V[static_cast<std::size_t>(h / group)]);
  }
  return {concat(kp, Shape{H, n, hd}), concat(vp, Shape{H, n, hd}), n, {}};
}

Share channel_grid(const PrivateArch& a, const Share& K, int n, const std::vector<int>& firsts, int width) {
  const int hd = a.head_dim;
  return take_lazy(K, [&] {
    std::vector<std::int64_t> idx;
    for (int first : firsts)
      for (int ch = 0; ch < hd; ++ch)
        for (int r = 0; r < width; ++r) idx.push_back(static_cast<std::int64_t>(std::min(n - 1, first + r)) * hd + ch);
    return idx;
  }, Shape{static_cast<std::int64_t>(firsts.size()) * hd, width});
}

Task<void> Selector::prepare_prompt_cache() {
  const int H = a.heads, hd = a.head_dim, T = cached;
  for (int l = 0; l < a.layers; ++l) {
    auto& L = m.layers[static_cast<std::size_t>(l)];
    const Attended all = replicate(L.k, L.v, T);
    const Share kt = take_lazy(all.k, [&] {
      std::vector<std::int64_t> idx;  // K^T: (H, d, T)
      for (int h = 0; h < H; ++h)
        for (int c = 0; c < hd; ++c)
          for (int t = 0; t < T; ++t) idx.push_back((static_cast<std::int64_t>(h) * T + t) * hd + c);
      return idx;
    }, Shape{H, hd, T});
    const auto scope = ops.in("static");
    protocols::FixedOperand kt_op = co_await ops.P.prepare_operand(kt, MatDims{H, 1, hd, T});
    if (!kt_op.prepared) co_return;  // the family keeps shares as they are: nothing to prepare
    protocols::FixedOperand v_op = co_await ops.P.prepare_operand(all.v, MatDims{H, 1, T, hd});
    L.kt_prompt = std::move(kt_op);
    L.v_prompt = std::move(v_op);
    L.prompt_rows = T;
  }
}

Attended Selector::whole_cache(int l, const std::vector<Share>& K, const std::vector<Share>& V, int n) const {
  const LayerShares& L = m.layers[static_cast<std::size_t>(l)];
  if (L.prompt_rows == 0) return replicate(K, V, n);
  // The rows after the prompt (the new token's), per head.
  const int T = L.prompt_rows, r = n - T, hd = a.head_dim;
  std::vector<Share> kr, vr;
  for (std::size_t g = 0; g < K.size(); ++g) {
    kr.push_back(rows_of(K[g], hd, T, n));
    vr.push_back(rows_of(V[g], hd, T, n));
  }
  Attended out = replicate(kr, vr, r);
  out.n = n;
  out.prompt = &L;
  return out;
}

Attended ContextView::replicate(const std::vector<Share>& K, const std::vector<Share>& V, int n) const {
  return private_decode::replicate(a, K, V, n);
}
Share ContextView::channel_grid(const Share& K, int n, const std::vector<int>& firsts, int width) const {
  return private_decode::channel_grid(a, K, n, firsts, width);
}

Task<Attended> GroupSelector::select(int l, const Share& q, std::vector<Share>& K, std::vector<Share>& V, int n,
                                     std::vector<Share>& shared) {
  const int H = a.heads, hd = a.head_dim, group = a.heads / a.kv_heads;
  if (n <= s.budget) co_return replicate(K, V, n);
  // Candidate groups (tokens, blocks or clusters), each of `width` rows; the public groups
  // (newest token, sink / last clusters, init + local window) are attended without selection.
  const Candidates cand = candidates(n);
  const int width = cand.width, groups = cand.groups, k = cand.k, score_rows = cand.score_rows;
  const std::vector<int>& public_rows = cand.public_rows;
  if (groups < 1 || k < 1) co_return replicate(K, V, n);  // nothing to choose from: attend everything
  Share onehot;
  if (!selects_own(l)) {
    onehot = shared.front();
  } else {
    Share sc = co_await scores(l, q, K, V, n, cand);
    const std::int64_t rows = score_rows;
    Share idx;
    if (s.parallel_topk || rows == 1) {
      Protocol::QuickSelect top = co_await ops.topk("topk", sc, rows, groups, k);
      idx = std::move(top.indices);
    } else {
      std::vector<Share> per;
      for (int h = 0; h < H; ++h) {
        const Share row = rows_of(sc, groups, h, h + 1);
        Protocol::QuickSelect top = co_await ops.topk("topk", row, 1, groups, k);
        per.push_back(std::move(top.indices));
      }
      std::vector<const Share*> ptr;
      for (auto& p : per) ptr.push_back(&p);
      idx = concat(ptr, Shape{H, k});
    }
    onehot = co_await ops.one_hot("one_hot", idx, groups);
    shared.assign(1, onehot);
  }
  // Gather: (rows, k, groups) x (rows, groups, width * 2d) with K and V of each group packed.
  const int packed = width * 2 * hd;
  const int tables = score_rows == 1 ? a.kv_heads : H;
  Share oh = onehot;
  if (score_rows == 1 && tables > 1) {  // the layer's selection serves every kv head
    std::vector<const Share*> rep(static_cast<std::size_t>(tables), &onehot);
    oh = concat(rep, Shape{tables, k, groups});
  }
  const MatDims gather_dims{tables, k, groups, packed};
  const LayerShares& L = m.layers[static_cast<std::size_t>(l)];
  Share picked;
  if (L.gather_prepared) {
    picked = co_await ops.gather("gather", oh, L.gather_table, gather_dims);
  } else {
    const Share table = gather_table(K, V, n, cand);
    picked = co_await ops.gather("gather", oh, table, gather_dims);
  }
  // Assemble (H, rows, d): public rows first, then the gathered ones.
  const int n_att = static_cast<int>(public_rows.size()) + k * width;
  std::vector<Share> ks, vs;
  // Why cost mode skips the index lists: at 7B scale they are millions of entries per layer and
  // the shares they would rearrange hold no data. (Not "no data": semi2k's dealer holds none in
  // execute mode and must keep following the data path.)
  const bool data = !picked.cost_only;
  for (int h = 0; h < H && !data; ++h) {
    ks.push_back(protocols::shape_only(Shape{n_att, hd}));
    vs.push_back(protocols::shape_only(Shape{n_att, hd}));
  }
  for (int h = 0; h < H && data; ++h) {
    const int kvh = h / group;
    const int tbl = score_rows == 1 ? kvh : h;
    std::vector<std::int64_t> kidx;
    for (int t : public_rows)
      for (int c = 0; c < hd; ++c) kidx.push_back(static_cast<std::int64_t>(t) * hd + c);
    Share kpub = take(K[static_cast<std::size_t>(kvh)], kidx, Shape{static_cast<std::int64_t>(public_rows.size()), hd});
    Share vpub = take(V[static_cast<std::size_t>(kvh)], kidx, Shape{static_cast<std::int64_t>(public_rows.size()), hd});
    std::vector<std::int64_t> gk, gv;
    for (int j = 0; j < k; ++j)
      for (int r = 0; r < width; ++r)
        for (int c = 0; c < hd; ++c) {
          const std::int64_t base = (static_cast<std::int64_t>(tbl) * k + j) * packed;
          gk.push_back(base + r * hd + c);
          gv.push_back(base + width * hd + r * hd + c);
        }
    Share kg = take(picked, gk, Shape{static_cast<std::int64_t>(k) * width, hd});
    Share vg = take(picked, gv, Shape{static_cast<std::int64_t>(k) * width, hd});
    const std::vector<const Share*> kk = {&kpub, &kg}, vv = {&vpub, &vg};
    ks.push_back(concat(kk, Shape{n_att, hd}));
    vs.push_back(concat(vv, Shape{n_att, hd}));
  }
  std::vector<const Share*> kp, vp;
  for (int h = 0; h < H; ++h) kp.push_back(&ks[static_cast<std::size_t>(h)]), vp.push_back(&vs[static_cast<std::size_t>(h)]);
  Attended out{concat(kp, Shape{H, n_att, hd}), concat(vp, Shape{H, n_att, hd}), n_att, {}};
  adjust(onehot, cand, n, out);
  co_return out;
}

Share GroupSelector::gather_table(const std::vector<Share>& K, const std::vector<Share>& V, int rows, const Candidates& cand) const {
  const int H = a.heads, hd = a.head_dim, group = a.heads / a.kv_heads;
  const int width = cand.width, groups = cand.groups, packed = width * 2 * hd;
  const int tables = cand.score_rows == 1 ? a.kv_heads : H;
  std::vector<Share> gathered;
  for (int t = 0; t < tables; ++t) {
    const int kvh = cand.score_rows == 1 ? t : t / group;
    const std::vector<const Share*> kvp = {&K[static_cast<std::size_t>(kvh)], &V[static_cast<std::size_t>(kvh)]};
    const Share both = concat(kvp, Shape{2 * rows * hd});
    gathered.push_back(take_lazy(both, [&] {
      std::vector<std::int64_t> idx;
      for (int g = 0; g < groups; ++g)
        for (int side = 0; side < 2; ++side)
          for (int r = 0; r < width; ++r)
            for (int c = 0; c < hd; ++c) idx.push_back((static_cast<std::int64_t>(side) * rows + cand.first + g * width + r) * hd + c);
      return idx;
    }, Shape{groups, packed}));
  }
  std::vector<const Share*> gp;
  for (auto& g : gathered) gp.push_back(&g);
  return concat(gp, Shape{tables, groups, packed});
}

Task<void> GroupSelector::prepare_gather_tables() {
  // The step's candidates at n = cached + 1 rows; every candidate row is a prompt row (the newest
  // token is always public), so the table is fixed for the step.
  const int n = cached + 1;
  if (n <= s.budget) co_return;
  const Candidates cand = candidates(n);
  if (cand.groups < 1 || cand.k < 1) co_return;
  if (cand.first + cand.groups * cand.width > cached) throw std::logic_error("private decode: a candidate group reaches past the prompt");
  const int tables = cand.score_rows == 1 ? a.kv_heads : a.heads;
  const MatDims dims{tables, cand.k, cand.groups, cand.width * 2 * a.head_dim};
  for (auto& L : m.layers) {
    const Share table = gather_table(L.k, L.v, cached, cand);
    const auto scope = ops.in("static");
    protocols::FixedOperand op = co_await ops.P.prepare_operand(table, dims);
    if (!op.prepared) co_return;  // the family keeps shares as they are
    L.gather_table = std::move(op);
    L.gather_prepared = true;
  }
}

namespace {

// "full": every row of the cache.
class FullSelector final : public Selector {
 public:
  using Selector::Selector;
  Task<void> after_prefill() override { co_await prepare_prompt_cache(); }
  Task<Attended> select(int l, const Share&, std::vector<Share>& K, std::vector<Share>& V, int n, std::vector<Share>&) override {
    co_return whole_cache(l, K, V, n);
  }
};

// "static": the cache holds `budget` rows chosen at prefill by a plaintext policy (party 0's
// prefill, so the choice costs nothing under MPC); every step attends all of them.
class StaticSelector final : public Selector {
 public:
  using Selector::Selector;
  Task<void> after_prefill() override;
  Task<Attended> select(int l, const Share&, std::vector<Share>& K, std::vector<Share>& V, int n, std::vector<Share>&) override {
    co_return whole_cache(l, K, V, n);
  }
};

Task<void> StaticSelector::after_prefill() {
  const int hd = a.head_dim, Hk = a.kv_heads;
  if (exec()) {
    // The static policy's kept rows (plaintext prefill at party 0): local row picks.
    int kept = -1;
    for (std::size_t l = 0; l < m.layers.size(); ++l)
      for (int h = 0; h < Hk; ++h) {
        const auto& rows = (*run.static_kept)[l][static_cast<std::size_t>(h)];
        if (kept >= 0 && static_cast<int>(rows.size()) != kept) throw std::invalid_argument("private decode: static policy keeps different counts per head");
        kept = static_cast<int>(rows.size());
        std::vector<std::int64_t> idx;
        for (int t : rows)
          for (int c = 0; c < hd; ++c) idx.push_back(static_cast<std::int64_t>(t) * hd + c);
        auto& L = m.layers[l];
        L.k[static_cast<std::size_t>(h)] = take(L.k[static_cast<std::size_t>(h)], idx, Shape{kept, hd});
        L.v[static_cast<std::size_t>(h)] = take(L.v[static_cast<std::size_t>(h)], idx, Shape{kept, hd});
      }
    cached = kept;
  } else if (s.budget < cached) {
    // Cost mode: the cache shrinks to the budget (which rows is the policy's, at no MPC cost).
    for (auto& L : m.layers)
      for (int h = 0; h < Hk; ++h) {
        L.k[static_cast<std::size_t>(h)] = rows_of(L.k[static_cast<std::size_t>(h)], hd, cached - s.budget, cached);
        L.v[static_cast<std::size_t>(h)] = rows_of(L.v[static_cast<std::size_t>(h)], hd, cached - s.budget, cached);
      }
    cached = s.budget;
  }
  co_await prepare_prompt_cache();
}

}  // namespace

std::unique_ptr<Selector> make_full_selector(Context& c) { return std::make_unique<FullSelector>(c); }
std::unique_ptr<Selector> make_static_selector(Context& c) { return std::make_unique<StaticSelector>(c); }

std::unique_ptr<Selector> make_selector(Context& c) {
  const std::string& method = c.run.selection.method;
  if (method == "full") return make_full_selector(c);
  if (method == "static") return make_static_selector(c);
  if (method == "dynamic-naive") return make_token_selector(c);
  if (method == "infllm") return make_infllm_selector(c);
  if (method == "mpcache") return make_mpcache_selector(c);
  throw std::invalid_argument("private decode: unknown selection method '" + method + "'");
}

}  // namespace kvsim::private_decode
