// app/runner/private_decode.cpp — see private_decode.h. Shares are laid out row-major; the local
// rearrangements (slices, transposes, head replication for GQA) cost nothing and are done on
// whatever components the party holds (none in cost mode).
#include "app/runner/private_decode.h"

#include <cmath>
#include <memory>
#include <stdexcept>

#include "models/kv/attention.h"
#include "models/kv/policy.h"
#include "models/lm/tasks.h"
#include "protocols/protocol.h"
#include "protocols/share_layout.h"
#include "protocols/sim_network.h"
#include "sim/engine.h"

namespace kvsim::runner {

using protocols::CommStats;
using protocols::MatDims;
using protocols::OpCost;
using protocols::Protocol;
using protocols::Ring;
using protocols::RingTensor;
using protocols::Share;
using protocols::Shape;
using sim::Task;

PrivateCost& PrivateCost::operator+=(const PrivateCost& o) {
  seconds += o.seconds;
  bytes += o.bytes;
  rounds += o.rounds;
  return *this;
}

PrivateArch private_arch(const models::Architecture& a) {
  PrivateArch p;
  p.style = a.norm == "layernorm" ? "gpt2" : "llama";
  p.layers = static_cast<int>(a.layers);
  p.d_model = static_cast<int>(a.hidden);
  p.heads = static_cast<int>(a.heads);
  p.kv_heads = static_cast<int>(a.kv_heads);
  p.head_dim = static_cast<int>(a.head_dim);
  p.ffn = static_cast<int>(a.ffn);
  p.vocab = static_cast<int>(a.vocab);
  return p;
}

PrivateArch private_arch(const models::lm::LmConfig& c) {
  return {"llama", c.n_layers, c.d_model, c.n_heads, c.n_kv_heads, c.head_dim, c.ffn_hidden, c.vocab, c.rope_base};
}

namespace {

// --- local rearrangements ----------------------------------------------------------------------

// Elements `idx` of `a`, as a share of `shape` (every component the party holds).
Share take(const Share& a, const std::vector<std::int64_t>& idx, Shape shape) {
  Share out{std::move(shape), {}, {}, a.cost_only};
  if (!protocols::has_data(a)) return out;
  out.s0.reserve(idx.size());
  for (auto i : idx) out.s0.push_back(a.s0[static_cast<std::size_t>(i)]);
  if (!a.s1.empty()) {
    out.s1.reserve(idx.size());
    for (auto i : idx) out.s1.push_back(a.s1[static_cast<std::size_t>(i)]);
  }
  return out;
}

// The same, with the indices built only when the party holds data (cost mode builds nothing: at
// 7B / 8K tokens the index lists alone would be hundreds of megabytes).
template <class MakeIndices>
Share take_lazy(const Share& a, MakeIndices make, Shape shape) {
  if (!protocols::has_data(a)) return Share{std::move(shape), {}, {}, a.cost_only};
  return take(a, make(), std::move(shape));
}

Share concat(const std::vector<const Share*>& parts, Shape shape) {
  Share out{std::move(shape), {}, {}, parts.front()->cost_only};
  if (!protocols::has_data(*parts.front())) return out;
  for (const Share* p : parts) {
    out.s0.insert(out.s0.end(), p->s0.begin(), p->s0.end());
    out.s1.insert(out.s1.end(), p->s1.begin(), p->s1.end());
  }
  return out;
}

// Row-major (rows x cols) -> its rows [r0, r1).
Share rows_of(const Share& a, std::int64_t cols, std::int64_t r0, std::int64_t r1) {
  std::vector<std::int64_t> idx;
  for (std::int64_t r = r0; r < r1; ++r)
    for (std::int64_t c = 0; c < cols; ++c) idx.push_back(r * cols + c);
  return take(a, idx, Shape{r1 - r0, cols});
}

// Sum of each row of (rows x cols) -> (rows).
Share sum_rows(const Share& a, std::int64_t rows, std::int64_t cols) {
  Share out = protocols::sum_cols(a, rows, cols);
  out.shape = Shape{rows};
  return out;
}

// Each element of a (n) repeated `times` times consecutively -> (n * times).
Share repeat_each(const Share& a, std::int64_t times) {
  Share out = protocols::broadcast_cols(a, a.size(), times);
  out.shape = Shape{a.size() * times};
  return out;
}

// Row-major (rows x cols) -> the indices of its transpose (cols x rows).
std::vector<std::int64_t> transpose_indices(std::int64_t rows, std::int64_t cols) {
  std::vector<std::int64_t> idx;
  idx.reserve(static_cast<std::size_t>(rows * cols));
  for (std::int64_t c = 0; c < cols; ++c)
    for (std::int64_t r = 0; r < rows; ++r) idx.push_back(r * cols + c);
  return idx;
}

// out_i = sum_{j < i} a_j: linear, so each party scans the components it holds.
Share exclusive_prefix_sum(const Share& a) {
  Share out = a;
  auto scan = [](std::vector<Ring>& v) {
    Ring run = 0;
    for (auto& x : v) {
      const Ring here = x;
      x = run;
      run += here;
    }
  };
  scan(out.s0);
  scan(out.s1);
  return out;
}

// The same elements as a flat vector (elementwise ops require equal shapes).
Share flat(Share s) {
  s.shape = Shape{s.size()};
  return s;
}

// Elementwise product with public fixed-point constants (scale 2f; the caller truncates).
Share mul_public_tensor(const Share& a, const std::vector<double>& c, int frac_bits) {
  Share out = a;
  if (!protocols::has_data(a)) return out;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const Ring k = protocols::encode_fixed(c[i], frac_bits);
    out.s0[i] *= k;
    if (!out.s1.empty()) out.s1[i] *= k;
  }
  return out;
}

// --- the ledger: each op runs, is charged to a category and adds its declared cost ------------

struct Ledger {
  Protocol& P;
  PartyClock clock;
  std::map<std::string, CommStats> comm;
  std::map<std::string, double> seconds;
  OpCost declared;
  bool recording = false;

  // Bytes count every message (the dealer's preprocessing too, as declared); rounds count the
  // online exchanges only (a party receiving preprocessing does not wait on its peers for it).
  struct Mark {
    CommStats stats, offline;
    sim::Time time;
  };
  Mark mark() const { return {P.channel().stats(), offline_stats(P.channel()), clock()}; }
  static CommStats offline_stats(const protocols::Channel& ch) {
    const auto it = ch.stats_by_tag().find("offline");
    return it == ch.stats_by_tag().end() ? CommStats{} : it->second;
  }
  void charge(const char* cat, const Mark& m, const OpCost& cost) {
    if (!recording) return;
    const CommStats d = P.channel().stats() - m.stats, off = offline_stats(P.channel()) - m.offline;
    auto& c = comm[cat];
    c.bytes_sent += d.bytes_sent;
    c.messages += d.messages;
    c.rounds += d.rounds - off.rounds;
    seconds[cat] += sim::to_seconds(clock() - m.time);
    if (declared.rounds.empty()) declared = cost;
    else add(declared, cost);
  }

  // A fixed-point product; b is a weight prepared once (semi2k then opens only the left side)
  // or, passed as a Share, an operand used once (the KV cache).
  Task<Share> matmul(const char* cat, const Share& a, const protocols::FixedOperand& b, MatDims d) {
    const Mark m = mark();
    Share prod = co_await P.matmul_operand(a, b, d);
    Share out = co_await P.trunc(prod, P.frac_bits());
    out.shape = Shape{d.batch * d.m, d.n};  // rows = (batch, m): what the callers index
    OpCost c = P.declared_matmul_operand(b, d);
    add(c, P.declared("trunc", d.batch * d.m * d.n));
    charge(cat, m, c);
    co_return out;
  }
  Task<Share> matmul(const char* cat, const Share& a, const Share& b, MatDims d) {
    const protocols::FixedOperand once = unprepared(b, d);
    Share out = co_await matmul(cat, a, once, d);
    co_return out;
  }
  // A one-hot (integer 0/1 entries) times a fixed-point table: exact, no truncation.
  Task<Share> gather(const char* cat, const Share& onehot, const protocols::FixedOperand& table, MatDims d) {
    const Mark m = mark();
    Share out = co_await P.matmul_operand(onehot, table, d);
    out.shape = Shape{d.batch * d.m, d.n};
    charge(cat, m, P.declared_matmul_operand(table, d));
    co_return out;
  }
  Task<Share> gather(const char* cat, const Share& onehot, const Share& table, MatDims d) {
    const protocols::FixedOperand once = unprepared(table, d);
    Share out = co_await gather(cat, onehot, once, d);
    co_return out;
  }
  static protocols::FixedOperand unprepared(const Share& b, MatDims d) { return {b, d, false, {}, {}}; }
  Task<Share> mul(const char* cat, const Share& a, const Share& b) {
    const Mark m = mark();
    const Share fa = flat(a), fb = flat(b);
    Share out = co_await P.mul_fixed(fa, fb);
    OpCost c = P.declared("mul", a.size());
    add(c, P.declared("trunc", a.size()));
    charge(cat, m, c);
    co_return out;
  }
  Task<Share> mul_int(const char* cat, const Share& a, const Share& b) {  // integer x fixed: no trunc
    const Mark m = mark();
    const Share fa = flat(a), fb = flat(b);
    Share out = co_await P.mul(fa, fb);
    charge(cat, m, P.declared("mul", a.size()));
    co_return out;
  }
  Task<Share> trunc(const char* cat, const Share& a) {
    const Mark m = mark();
    Share out = co_await P.trunc(a, P.frac_bits());
    charge(cat, m, P.declared("trunc", a.size()));
    co_return out;
  }
  Task<Share> composite(const char* cat, const char* op, const Share& a, std::int64_t n, MatDims d) {
    const Mark m = mark();
    Share out;
    const std::string_view o(op);
    if (o == "softmax_rows") out = co_await P.softmax_rows(a, n, d.k);
    else if (o == "rsqrt") out = co_await P.rsqrt(a, static_cast<double>(d.k));
    else if (o == "silu") out = co_await P.silu(a);
    else if (o == "gelu") out = co_await P.gelu(a);
    else if (o == "max_rows") out = co_await P.max_rows(a, n, d.k);
    else if (o == "one_hot") out = co_await P.one_hot(a, d.k);
    else throw std::logic_error(std::string("private decode: no composite ") + op);
    charge(cat, m, P.declared_composite(op, n, d));
    co_return out;
  }
  Task<Protocol::QuickSelect> topk(const char* cat, const Share& a, std::int64_t rows, std::int64_t cols, std::int64_t k) {
    const Mark m = mark();
    Protocol::QuickSelect out = co_await P.topk_quickselect(a, rows, cols, k);
    charge(cat, m, P.declared_quickselect(rows, cols, out.compared));
    co_return out;
  }
  Task<Share> input(const char* cat, int owner, const RingTensor* value, Shape shape) {
    const Mark m = mark();
    Share out = co_await P.input(owner, value, shape);
    charge(cat, m, P.declared_input(owner, protocols::numel(shape)));
    co_return out;
  }
  Task<RingTensor> reveal(const char* cat, const Share& a) {
    const Mark m = mark();
    RingTensor out = co_await P.reveal(a);
    charge(cat, m, P.declared("reveal", a.size()));
    co_return out;
  }
  static void add(OpCost& a, const OpCost& b) {
    for (std::size_t p = 0; p < a.rounds.size(); ++p) {
      a.rounds[p] += b.rounds[p];
      a.bytes[p] += b.bytes[p];
    }
    a.offline_bytes += b.offline_bytes;
  }
};

// --- the model's shares --------------------------------------------------------------------------

// Weight matrices are FixedOperands: prepared once at load (semi2k opens each masked weight once,
// so a step's products open only their activations, as a deployment keeps the weights).
struct LayerShares {
  Share norm1, norm2;
  protocols::FixedOperand wq, wk, wv, wo, w_gate, w_up, w_down;
  std::vector<Share> k, v;  // [kv_head] (T x d), the cache (after static eviction)
  // MPCache cluster summaries per level (0: cluster1, 1: cluster2), per kv head: (C x d) each.
  std::vector<std::vector<Share>> hi, lo;
  std::vector<Share> reps;  // InfLLM: per kv head (blocks x d), each block's mean key
};

struct ModelShares {
  Share final_norm;
  protocols::FixedOperand embed, lm_head;
  std::vector<LayerShares> layers;
};

// PyTorch (out, in) -> (in, out) row-major values.
std::vector<double> transposed(const models::lm::MatrixRM& w) {
  std::vector<double> v;
  v.reserve(static_cast<std::size_t>(w.size()));
  for (Eigen::Index c = 0; c < w.cols(); ++c)
    for (Eigen::Index r = 0; r < w.rows(); ++r) v.push_back(w(r, c));
  return v;
}
std::vector<double> values_of(const models::lm::MatrixRM& w, Eigen::Index rows) {
  std::vector<double> v;
  for (Eigen::Index r = 0; r < rows; ++r)
    for (Eigen::Index c = 0; c < w.cols(); ++c) v.push_back(w(r, c));
  return v;
}
std::vector<double> vec_of(const Eigen::VectorXf& w) { return {w.data(), w.data() + w.size()}; }

struct Program {
  const PrivateRun& run;
  const PrivateArch& a;
  const MpcSelection& s;
  Ledger led;
  ModelShares m;
  int cached = 0;  // tokens in each layer's cache before the step (after static eviction)
  std::vector<double> logits;
  std::vector<Ring> revealed;
  int attended = 0;

  // Party 0 inputs a tensor (real values in execute mode at party 0 only). Shapes and shares are
  // named locals around every co_await: GCC 12 can destroy temporaries of a co_await expression
  // twice (docs/architecture.md).
  Task<Share> weight(const std::vector<double>* values, Shape shape) {
    // Cost mode: the model is loaded before the step and its (large) loading traffic is not part
    // of what is measured, so weights and the prompt KV are shapes only, without messages.
    if (!exec()) co_return protocols::shape_only(shape);
    const bool mine = led.P.id() == 0 && values != nullptr;
    RingTensor t;
    if (mine) t = protocols::encode(shape, *values, led.P.frac_bits());
    Share s = co_await led.input("load", 0, mine ? &t : nullptr, shape);
    co_return s;
  }

  // A weight matrix (k x n): input, then prepared for reuse.
  Task<protocols::FixedOperand> operand(const std::vector<double>* values, Shape shape) {
    Share w = co_await weight(values, shape);
    const MatDims dims{1, 1, shape[0], shape[1]};
    protocols::FixedOperand op = co_await led.P.prepare_operand(w, dims);
    co_return op;
  }

  bool exec() const { return run.model != nullptr; }

  Task<void> load() {
    const int D = a.d_model, hd = a.head_dim, H = a.heads, Hk = a.kv_heads;
    const models::lm::LmWeights* w = nullptr;
    if (exec()) w = &run.model->weights();
    auto vals = [&](auto&& fn) { return exec() ? std::make_unique<std::vector<double>>(fn()) : nullptr; };
    auto e = vals([&] { return values_of(w->embed, w->embed.rows()); });
    const Shape embed_shape = Shape{a.vocab, D};
    m.embed = co_await operand(e.get(), embed_shape);
    for (int l = 0; l < a.layers; ++l) {
      LayerShares L;
      const auto* W = exec() ? &w->layers[static_cast<std::size_t>(l)] : nullptr;
      auto n1 = vals([&] { return vec_of(W->attn_norm); });
      const Shape norm1_shape = Shape{D};
      L.norm1 = co_await weight(n1.get(), norm1_shape);
      auto q = vals([&] { return transposed(W->wq); });
      const Shape wq_shape = Shape{D, H * hd};
      L.wq = co_await operand(q.get(), wq_shape);
      auto k = vals([&] { return transposed(W->wk); });
      const Shape wk_shape = Shape{D, Hk * hd};
      L.wk = co_await operand(k.get(), wk_shape);
      auto v = vals([&] { return transposed(W->wv); });
      const Shape wv_shape = Shape{D, Hk * hd};
      L.wv = co_await operand(v.get(), wv_shape);
      auto o = vals([&] { return transposed(W->wo); });
      const Shape wo_shape = Shape{H * hd, D};
      L.wo = co_await operand(o.get(), wo_shape);
      auto n2 = vals([&] { return vec_of(W->mlp_norm); });
      const Shape norm2_shape = Shape{D};
      L.norm2 = co_await weight(n2.get(), norm2_shape);
      if (a.style == "llama") {
        auto g = vals([&] { return transposed(W->w_gate); });
        const Shape gate_shape = Shape{D, a.ffn};
        L.w_gate = co_await operand(g.get(), gate_shape);
      }
      auto u = vals([&] { return transposed(W->w_up); });
      const Shape up_shape = Shape{D, a.ffn};
      L.w_up = co_await operand(u.get(), up_shape);
      auto dn = vals([&] { return transposed(W->w_down); });
      const Shape down_shape = Shape{a.ffn, D};
      L.w_down = co_await operand(dn.get(), down_shape);
      // The prompt's KV (static eviction below shrinks it).
      for (int h = 0; h < Hk; ++h) {
        auto kv = vals([&] { return values_of(run.model->keys(l, h), run.context); });
        const Shape k_shape = Shape{run.context, hd};
        Share ks = co_await weight(kv.get(), k_shape);
        L.k.push_back(std::move(ks));
        auto vv = vals([&] { return values_of(run.model->values(l, h), run.context); });
        const Shape v_shape = Shape{run.context, hd};
        Share vs = co_await weight(vv.get(), v_shape);
        L.v.push_back(std::move(vs));
      }
      m.layers.push_back(std::move(L));
    }
    auto fn = vals([&] { return vec_of(w->final_norm); });
    const Shape final_norm_shape = Shape{D};
    m.final_norm = co_await weight(fn.get(), final_norm_shape);
    auto lm = vals([&] { return transposed(w->lm_head); });
    const Shape lm_head_shape = Shape{D, a.vocab};
    m.lm_head = co_await operand(lm.get(), lm_head_shape);
    cached = run.context;
  }

  bool selects_own(int l) const {
    if (s.method != "mpcache" || !s.share_layers || l < 2 || l >= a.layers - 2) return true;
    return l % 2 == 0;
  }

  // One-time work after prefill: MPCache's static eviction (top-k over the prompt by the secret
  // accumulated scores, one-hot, gather; the kept set shared by the layer's heads) and the cluster
  // summaries of complete clusters.
  Task<void> after_prefill() {
    const int hd = a.head_dim, Hk = a.kv_heads;
    if (s.method == "static" && exec()) {
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
    } else if (s.method == "static" && s.budget < cached) {
      // Cost mode: the cache shrinks to the budget (which rows is the policy's, at no MPC cost).
      for (auto& L : m.layers)
        for (int h = 0; h < Hk; ++h) {
          L.k[static_cast<std::size_t>(h)] = rows_of(L.k[static_cast<std::size_t>(h)], hd, cached - s.budget, cached);
          L.v[static_cast<std::size_t>(h)] = rows_of(L.v[static_cast<std::size_t>(h)], hd, cached - s.budget, cached);
        }
      cached = s.budget;
    }
    if (s.method == "infllm") {
      co_await infllm_representatives();
      co_return;
    }
    if (s.method != "mpcache") co_return;
    if (s.static_eviction) {
      const int keep = std::max(1, static_cast<int>(s.static_keep * cached));
      for (int l = 0; l < a.layers; ++l) {
        auto& L = m.layers[static_cast<std::size_t>(l)];
        Share onehot;
        if (selects_own(l)) {
          // Scores: the observation queries' accumulated attention, computed by party 0 in its
          // plaintext prefill (execute mode: the real ones, run.static_scores).
          std::unique_ptr<RingTensor> mine;
          if (exec() && led.P.id() == 0)
            mine = std::make_unique<RingTensor>(protocols::encode(Shape{1, cached}, (*run.static_scores)[static_cast<std::size_t>(l)], led.P.frac_bits()));
          const Shape scores_shape = Shape{1, cached};
          Share scores = co_await led.input("static", 0, mine.get(), scores_shape);
          Protocol::QuickSelect top = co_await led.topk("static", scores, 1, cached, keep);
          Share shuffled = co_await led.composite("static", "one_hot", top.indices, keep, MatDims{1, 1, cached, 1});
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
        Share kept = co_await led.gather("static", onehot, table, MatDims{1, keep, cached, 2 * Hk * hd});
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
      cached = keep;
    }
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

  // Rows [first, first + width) of K (n x d) for each first, laid out (groups d, width) with row
  // (group, channel), so a row reduction gives each group's per-channel max or sum. Rows past
  // n - 1 repeat row n - 1 (a cluster longer than the cache).
  Share channel_grid(const Share& K, int n, const std::vector<int>& firsts, int width) const {
    const int hd = a.head_dim;
    return take_lazy(K, [&] {
      std::vector<std::int64_t> idx;
      for (int first : firsts)
        for (int ch = 0; ch < hd; ++ch)
          for (int r = 0; r < width; ++r) idx.push_back(static_cast<std::int64_t>(std::min(n - 1, first + r)) * hd + ch);
      return idx;
    }, Shape{static_cast<std::int64_t>(firsts.size()) * hd, width});
  }

  // InfLLM's memory blocks at the step (n = cached + 1 tokens): n_init sinks, then blocks of
  // `block` tokens up to the local window of budget / 2. Each block's representative is its mean
  // key, computed once here: a local sum and one truncation (InfLLM ranks a block by its
  // representative tokens' dot products; with all of the block as representatives that is the
  // mean — the secret in-window scores that pick InfLLM's few representatives are not kept).
  int infllm_first(int n) const { return std::min(s.n_init, n); }
  int infllm_blocks(int n) const {
    const int local = std::max(1, s.budget / 2);
    return std::max(0, (n - infllm_first(n) - local) / s.block);
  }
  Task<void> infllm_representatives() {
    const int hd = a.head_dim, n = cached + 1, width = s.block, first = infllm_first(n), blocks = infllm_blocks(n);
    for (auto& L : m.layers) {
      L.reps.clear();
      for (int g = 0; g < a.kv_heads; ++g) {
        std::vector<int> firsts;
        for (int b = 0; b < blocks; ++b) firsts.push_back(first + b * width);
        const Share grid = channel_grid(L.k[static_cast<std::size_t>(g)], cached, firsts, width);
        const Share sums = sum_rows(grid, static_cast<std::int64_t>(blocks) * hd, width);
        const Share scaled = led.P.mul_public(sums, protocols::encode_fixed(1.0 / width, led.P.frac_bits()));
        Share mean = co_await led.trunc("static", scaled);
        mean.shape = Shape{blocks, hd};
        L.reps.push_back(std::move(mean));
      }
    }
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
    Share rank_onehot = co_await led.composite("static", "one_hot", rank, T, MatDims{1, 1, keep, 1});
    const Share wide_mask = repeat_each(mask, keep);
    Share ordered = co_await led.mul_int("static", rank_onehot, wide_mask);
    co_return take_lazy(ordered, [&] { return transpose_indices(T, keep); }, Shape{keep, T});
  }

  // Channel-wise max and min of each cluster of `sz` rows of K (n x d); the last cluster is the
  // last min(sz, n) rows (the released code's padding). Returns (clusters x d) each.
  Task<void> summarize(const Share& K, int n, int sz, int clusters, const char* cat, Share& mx, Share& mn) {
    const int hd = a.head_dim;
    std::vector<int> firsts;
    for (int c = 0; c < clusters; ++c) firsts.push_back(c == clusters - 1 ? std::max(0, n - sz) : c * sz);
    const Share grid = channel_grid(K, n, firsts, sz);
    mx = co_await led.composite(cat, "max_rows", grid, static_cast<std::int64_t>(clusters) * hd, MatDims{1, 1, sz, 1});
    const Share neg = led.P.mul_public(grid, static_cast<Ring>(-1));
    Share nmx = co_await led.composite(cat, "max_rows", neg, static_cast<std::int64_t>(clusters) * hd, MatDims{1, 1, sz, 1});
    mn = led.P.mul_public(nmx, static_cast<Ring>(-1));
  }

  Task<Share> norm(const Share& x_in, const Share& w) {
    const int D = a.d_model;
    const int f = led.P.frac_bits();
    const Share x = flat(x_in);
    Share xc = x;
    if (a.style == "gpt2") {
      const Share sum = sum_rows(x, 1, D);
      const Share sum_over_d = led.P.mul_public(sum, protocols::encode_fixed(1.0 / D, f));
      Share mean = co_await led.trunc("other", sum_over_d);
      const Share wide = repeat_each(mean, D);
      xc = led.P.sub(x, wide);
    }
    Share sq = co_await led.mul("other", xc, xc);
    const Share ssum = sum_rows(sq, 1, D);
    // mean(x^2) * 256, inside rsqrt's [1, 2^18] (activations with rms in [1/16, 32]).
    const Share mean_sq_scaled = led.P.mul_public(ssum, protocols::encode_fixed(256.0 / D, f));
    Share ms = co_await led.trunc("other", mean_sq_scaled);
    Share inv = co_await led.composite("other", "rsqrt", ms, 1, MatDims{1, 1, 1 << 18, 1});
    const Share inv16 = led.P.mul_public(inv, 16);  // rsqrt(ms) = 16 rsqrt(256 ms)
    const Share wide = repeat_each(inv16, D);
    Share y = co_await led.mul("other", xc, wide);
    Share out = co_await led.mul("other", y, w);
    co_return out;
  }

  Task<Share> rope(const Share& x, int heads, int pos) {
    const int hd = a.head_dim, half = hd / 2;
    std::vector<double> cs(static_cast<std::size_t>(heads * hd)), sn(cs.size());
    std::vector<std::int64_t> rot;
    for (int h = 0; h < heads; ++h)
      for (int i = 0; i < hd; ++i) {
        const int j = i % half;
        const float inv = models::lm::rope_inverse_frequency(a.rope_base, j, hd);
        const float ang = static_cast<float>(pos) * inv;
        cs[static_cast<std::size_t>(h * hd + i)] = std::cos(ang);
        // rotate-half: out_i = x_i cos - x_{i+half} sin (i < half); x_i cos + x_{i-half} sin.
        sn[static_cast<std::size_t>(h * hd + i)] = i < half ? -std::sin(ang) : std::sin(ang);
        rot.push_back(h * hd + (i < half ? i + half : i - half));
      }
    const Share xr = take(x, rot, x.shape);
    const Share sum = led.P.add(mul_public_tensor(x, cs, led.P.frac_bits()), mul_public_tensor(xr, sn, led.P.frac_bits()));
    Share out = co_await led.trunc("other", sum);
    co_return out;
  }

  // Keys / values per query head for the attended rows: (H, n, d) each, n = rows attended.
  struct Attended {
    Share k, v;
    int n = 0;
    Share offset;  // when set, (H, n) fixed-point additions to the scaled scores (a secret mask)
  };

  // Rows of the cache as (H, n, d) for GQA: query head h reads kv head h / group.
  Attended replicate(const std::vector<Share>& K, const std::vector<Share>& V, int n) {
    const int H = a.heads, hd = a.head_dim, group = a.heads / a.kv_heads;
    std::vector<const Share*> kp, vp;
    for (int h = 0; h < H; ++h) {
      kp.push_back(&K[static_cast<std::size_t>(h / group)]);
      vp.push_back(&V[static_cast<std::size_t>(h / group)]);
    }
    return {concat(kp, Shape{H, n, hd}), concat(vp, Shape{H, n, hd}), n, {}};
  }

  Task<Attended> select(int l, const Share& q, std::vector<Share>& K, std::vector<Share>& V, int n,
                        std::vector<Share>& shared) {
    const int H = a.heads, hd = a.head_dim, group = a.heads / a.kv_heads;
    if (s.method == "full" || s.method == "static" || n <= s.budget) co_return replicate(K, V, n);
    // Candidate groups (tokens, blocks or clusters), each of `width` rows; the public groups
    // (newest token, sink / last clusters, init + local window) are attended without selection.
    int width = 1, groups = 0, k = 0;
    std::vector<int> public_rows;  // token positions attended without a gather
    Share scores;                  // (H, groups) or (1, groups) for layer-shared selection
    int score_rows = H;
    const bool token_level = s.method == "dynamic-naive" || (s.method == "mpcache" && s.cluster2 == 1);
    if (token_level) {
      groups = n - 1;
      k = s.budget - 1;
      public_rows = {n - 1};
    } else if (s.method == "infllm") {
      width = s.block;
      const int local = std::max(1, s.budget / 2), init = infllm_first(n);
      groups = infllm_blocks(n);
      k = std::min(groups, std::max(1, (s.budget - init - local) / width));
      for (int t = 0; t < init; ++t) public_rows.push_back(t);
      for (int t = init + groups * width; t < n; ++t) public_rows.push_back(t);
      score_rows = 1;
    } else {  // mpcache
      width = s.cluster2;
      const int c2 = (n + width - 1) / width;
      groups = c2 - 2;
      k = std::min(groups, std::max(1, s.budget / width - 2));
      for (int t = 0; t < width; ++t) public_rows.push_back(t);
      for (int t = std::max(width, n - width); t < n; ++t) public_rows.push_back(t);
    }
    if (groups < 1 || k < 1) co_return replicate(K, V, n);  // nothing to choose from: attend everything
    Share onehot;
    if (!selects_own(l)) {
      onehot = shared.front();
    } else {
      if (token_level) {
        Attended all = replicate(K, V, n);
        const Share kt = take_lazy(all.k, [&] {
          std::vector<std::int64_t> idx;  // K^T of the candidates: (H, d, n-1)
          for (int h = 0; h < H; ++h)
            for (int c = 0; c < hd; ++c)
              for (int t = 0; t < groups; ++t) idx.push_back((static_cast<std::int64_t>(h) * n + t) * hd + c);
          return idx;
        }, Shape{H, hd, groups});
        scores = co_await led.matmul("similarity", q, kt, MatDims{H, 1, hd, groups});
      } else if (s.method == "infllm") {
        // Block representatives (after_prefill); the block score sums q_h . r_h over heads: one
        // (1, H d) x (H d, blocks) product.
        auto& L = m.layers[static_cast<std::size_t>(l)];
        if (L.reps.front().shape != Shape{groups, hd}) throw std::logic_error("private decode: infllm blocks changed since prefill");
        std::vector<const Share*> per_head;
        for (int h = 0; h < H; ++h) per_head.push_back(&L.reps[static_cast<std::size_t>(h / group)]);
        const Share stacked = concat(per_head, Shape{H, groups, hd});
        const Share reps = take_lazy(stacked, [&] {
          std::vector<std::int64_t> idx;  // (H d, groups): row h d + c, column b
          for (int h = 0; h < H; ++h)
            for (int c = 0; c < hd; ++c)
              for (int b = 0; b < groups; ++b) idx.push_back((static_cast<std::int64_t>(h) * groups + b) * hd + c);
          return idx;
        }, Shape{H * hd, groups});
        scores = co_await led.matmul("similarity", q, reps, MatDims{1, 1, H * hd, groups});
      } else {
        scores = co_await cluster_scores(l, q, K, n);
      }
      const std::int64_t rows = score_rows;
      Share idx;
      if (s.parallel_topk || rows == 1) {
        Protocol::QuickSelect top = co_await led.topk("topk", scores, rows, groups, k);
        idx = std::move(top.indices);
      } else {
        std::vector<Share> per;
        for (int h = 0; h < H; ++h) {
          const Share row = rows_of(scores, groups, h, h + 1);
          Protocol::QuickSelect top = co_await led.topk("topk", row, 1, groups, k);
          per.push_back(std::move(top.indices));
        }
        std::vector<const Share*> ptr;
        for (auto& p : per) ptr.push_back(&p);
        idx = concat(ptr, Shape{H, k});
      }
      onehot = co_await led.composite("one_hot", "one_hot", idx, rows * k, MatDims{1, 1, groups, 1});
      shared.assign(1, onehot);
    }
    // Gather: (rows, k, groups) x (rows, groups, width * 2d) with K and V of each group packed.
    const int packed = width * 2 * hd;
    const int tables = score_rows == 1 ? a.kv_heads : H;
    std::vector<Share> gathered;
    for (int t = 0; t < tables; ++t) {
      const int kvh = score_rows == 1 ? t : t / group;
      const int first = token_level ? 0 : s.method == "infllm" ? std::min(s.n_init, n) : width;
      const std::vector<const Share*> kvp = {&K[static_cast<std::size_t>(kvh)], &V[static_cast<std::size_t>(kvh)]};
      const Share both = concat(kvp, Shape{2 * n * hd});
      gathered.push_back(take_lazy(both, [&] {
        std::vector<std::int64_t> idx;
        for (int g = 0; g < groups; ++g)
          for (int side = 0; side < 2; ++side)
            for (int r = 0; r < width; ++r)
              for (int c = 0; c < hd; ++c) idx.push_back((static_cast<std::int64_t>(side) * n + first + g * width + r) * hd + c);
        return idx;
      }, Shape{groups, packed}));
    }
    std::vector<const Share*> gp;
    for (auto& g : gathered) gp.push_back(&g);
    const Share table = concat(gp, Shape{tables, groups, packed});
    Share oh = onehot;
    if (score_rows == 1 && tables > 1) {  // the layer's selection serves every kv head
      std::vector<const Share*> rep(static_cast<std::size_t>(tables), &onehot);
      oh = concat(rep, Shape{tables, k, groups});
    }
    Share picked = co_await led.gather("gather", oh, table, MatDims{tables, k, groups, packed});
    // Assemble (H, rows, d): public rows first, then the gathered ones.
    const int n_att = static_cast<int>(public_rows.size()) + k * width;
    std::vector<Share> ks, vs;
    for (int h = 0; h < H; ++h) {
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
    // MPCache's last cluster is padded with the rows before it (the released code's last
    // min(s, T') rows), so those rows are attended twice when the cluster they belong to (the
    // last candidate) is also picked. The released code's masks attend them once; here the
    // gathered copies get a large negative score offset, one-hot column times a public constant
    // (local), so that the softmax drops them.
    const int dup_from = n - (groups + 1) * width;  // first duplicated row inside the last candidate
    if (!token_level && s.method == "mpcache" && dup_from > 0 && dup_from < width) {
      const int pub = static_cast<int>(public_rows.size());
      std::vector<std::int64_t> col;  // onehot (H, k, groups): column groups - 1 of every slot
      for (int h = 0; h < H; ++h)
        for (int j = 0; j < k; ++j) col.push_back((static_cast<std::int64_t>(h) * k + j) * groups + groups - 1);
      const Share picked_last = take(onehot, col, Shape{H * k});
      const Share drop = led.P.mul_public(picked_last, protocols::encode_fixed(-1024.0, led.P.frac_bits()));
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
    co_return out;
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
      const Mark mk = led.mark();
      Share bit = co_await led.P.less_than(A, B);
      Share picked = co_await led.P.select(bit, Kx, Ox);
      OpCost c = led.P.declared_composite("less_than", m2);
      Ledger::add(c, led.P.declared_composite("select", m2));
      led.charge("similarity", mk, c);
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
        const int f = led.P.frac_bits();
        const Share mix = led.P.add(led.P.mul_public(hi, protocols::encode_fixed(s.alpha, f)),
                                    led.P.mul_public(lo, protocols::encode_fixed(1 - s.alpha, f)));
        Share r = co_await led.trunc("similarity", mix);
        std::vector<std::int64_t> idx;  // (H, d, count)
        for (int h = 0; h < H; ++h)
          for (int c = 0; c < hd; ++c)
            for (int j = 0; j < count; ++j) idx.push_back((static_cast<std::int64_t>(h) * count + j) * hd + c);
        const Share rt = take(r, idx, Shape{H, hd, count});
        Share sc = co_await led.matmul("similarity", q, rt, MatDims{H, 1, hd, count});
        co_return sc;
      }
      // The exact bound: sum_c max(q_c max_c, q_c min_c).
      std::vector<std::int64_t> qi;
      for (int h = 0; h < H; ++h)
        for (int j = 0; j < count; ++j)
          for (int c = 0; c < hd; ++c) qi.push_back(static_cast<std::int64_t>(h) * hd + c);
      const Share qw = take(q, qi, Shape{H, count, hd});
      Share ph = co_await led.mul("similarity", qw, hi);
      Share pl = co_await led.mul("similarity", qw, lo);
      const Mark mk = led.mark();
      Share bit = co_await led.P.less_than(ph, pl);
      Share best = co_await led.P.select(bit, pl, ph);
      OpCost c = led.P.declared_composite("less_than", ph.size());
      Ledger::add(c, led.P.declared_composite("select", ph.size()));
      led.charge("similarity", mk, c);
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
    Protocol::QuickSelect top1 = co_await led.topk("topk", sc1, H, c1 - 2, k1);
    Share oh1 = co_await led.composite("one_hot", "one_hot", top1.indices, static_cast<std::int64_t>(H) * k1, MatDims{1, 1, c1 - 2, 1});
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
    mem2 = led.P.add_public(mem2, ones);
    // score + (membership - 1) * 2^12: non-children fall far below every child.
    RingTensor minus_one(Shape{H, c2 - 2});
    for (auto& v : minus_one.data) v = static_cast<Ring>(-1);
    const Share off = led.P.mul_public(led.P.add_public(mem2, minus_one), protocols::encode_fixed(4096.0, led.P.frac_bits()));
    co_return led.P.add(sc2, off);
  }
  using Mark = Ledger::Mark;

  Task<Share> attention(const Share& q, const Attended& att) {
    const int H = a.heads, hd = a.head_dim, n = att.n;
    const Share kt = take_lazy(att.k, [&] {
      std::vector<std::int64_t> idx;  // K^T: (H, d, n)
      for (int h = 0; h < H; ++h)
        for (int c = 0; c < hd; ++c)
          for (int t = 0; t < n; ++t) idx.push_back((static_cast<std::int64_t>(h) * n + t) * hd + c);
      return idx;
    }, Shape{H, hd, n});
    Share sc = co_await led.matmul("attention", q, kt, MatDims{H, 1, hd, n});
    const Share prescaled = led.P.mul_public(sc, protocols::encode_fixed(1.0 / std::sqrt(hd), led.P.frac_bits()));
    Share scaled = co_await led.trunc("attention", prescaled);
    if (!att.offset.shape.empty()) {
      Share off = att.offset;
      off.shape = scaled.shape;
      scaled = led.P.add(scaled, off);
    }
    Share p = co_await led.composite("softmax", "softmax_rows", scaled, H, MatDims{1, 1, n, 1});
    Share o = co_await led.matmul("attention", p, att.v, MatDims{H, 1, n, hd});
    co_return o;
  }

  Task<void> step(Share tok) {
    const int D = a.d_model, hd = a.head_dim, H = a.heads, Hk = a.kv_heads;
    Share oh = co_await led.composite("other", "one_hot", tok, 1, MatDims{1, 1, a.vocab, 1});
    Share emb = co_await led.gather("linear", oh, m.embed, MatDims{1, 1, a.vocab, D});
    Share x = flat(std::move(emb));
    const int pos = run.context;  // the new token's position (RoPE uses the original positions)
    std::vector<Share> shared;
    for (int l = 0; l < a.layers; ++l) {
      auto& L = m.layers[static_cast<std::size_t>(l)];
      Share h = co_await norm(x, L.norm1);
      Share q = co_await led.matmul("linear", h, L.wq, MatDims{1, 1, D, H * hd});
      Share k = co_await led.matmul("linear", h, L.wk, MatDims{1, 1, D, Hk * hd});
      Share v = co_await led.matmul("linear", h, L.wv, MatDims{1, 1, D, Hk * hd});
      if (a.style == "llama") {
        q = co_await rope(q, H, pos);
        k = co_await rope(k, Hk, pos);
      }
      const int n = cached + 1;
      for (int g = 0; g < Hk; ++g) {
        const Share kr = rows_of(k, hd, g, g + 1), vr = rows_of(v, hd, g, g + 1);
        const std::vector<const Share*> kp = {&L.k[static_cast<std::size_t>(g)], &kr}, vp = {&L.v[static_cast<std::size_t>(g)], &vr};
        L.k[static_cast<std::size_t>(g)] = concat(kp, Shape{n, hd});
        L.v[static_cast<std::size_t>(g)] = concat(vp, Shape{n, hd});
      }
      Attended att = co_await select(l, q, L.k, L.v, n, shared);
      attended = att.n;
      Share o = co_await attention(q, att);
      Share proj = co_await led.matmul("linear", o, L.wo, MatDims{1, 1, H * hd, D});
      x = led.P.add(x, flat(std::move(proj)));
      Share h2 = co_await norm(x, L.norm2);
      Share up = co_await led.matmul("linear", h2, L.w_up, MatDims{1, 1, D, a.ffn});
      Share act;
      if (a.style == "llama") {
        Share gate = co_await led.matmul("linear", h2, L.w_gate, MatDims{1, 1, D, a.ffn});
        Share sg = co_await led.composite("other", "silu", gate, gate.size(), MatDims{});
        act = co_await led.mul("other", sg, up);
      } else {
        act = co_await led.composite("other", "gelu", up, up.size(), MatDims{});
      }
      Share down = co_await led.matmul("linear", act, L.w_down, MatDims{1, 1, a.ffn, D});
      x = led.P.add(x, flat(std::move(down)));
    }
    Share hf = co_await norm(x, m.final_norm);
    Share lg = co_await led.matmul("linear", hf, m.lm_head, MatDims{1, 1, D, a.vocab});
    RingTensor out = co_await led.reveal("other", lg);
    if (!out.data.empty()) logits = protocols::decode(out, led.P.frac_bits());
    revealed = std::move(out.data);
  }
};

PrivateCost between(const Ledger::Mark& a, const Ledger::Mark& b) {
  const CommStats d = b.stats - a.stats, off = b.offline - a.offline;
  return {sim::to_seconds(b.time - a.time), static_cast<double>(d.bytes_sent), static_cast<std::int64_t>(d.rounds - off.rounds)};
}

Task<void> party_into(const PrivateRun& run, Protocol& P, PartyClock clock, PartyResult& out) {
  out = co_await private_decode_party(run, P, std::move(clock));
}

}  // namespace

Task<PartyResult> private_decode_party(const PrivateRun& run, Protocol& P, PartyClock clock) {
  Program prog{run, run.arch, run.selection, Ledger{P, std::move(clock), {}, {}, {}, false}, {}, 0, {}, {}, 0};
  auto& led = prog.led;
  PartyResult out;
  co_await prog.load();
  const auto m0 = led.mark();
  co_await prog.after_prefill();
  const auto m1 = led.mark();
  out.one_time = between(m0, m1);
  // The client's token.
  RingTensor t(Shape{1});
  t.data[0] = static_cast<Ring>(run.token);
  led.recording = true;
  const auto s0 = led.mark();
  const Shape token_shape = Shape{1};
  Share tok = co_await led.input("other", 1, P.id() == 1 && prog.exec() ? &t : nullptr, token_shape);
  co_await prog.step(std::move(tok));
  const auto s1 = led.mark();
  led.recording = false;
  out.step = between(s0, s1);
  out.logits = std::move(prog.logits);
  out.revealed = std::move(prog.revealed);
  out.attended = prog.attended;
  for (const auto& [cat, c] : led.comm)
    out.by_category[cat] = {led.seconds[cat], static_cast<double>(c.bytes_sent), static_cast<std::int64_t>(c.rounds)};
  out.declared = led.declared;
  co_return out;
}

PrivateStep run_private_decode(const PrivateRun& run, const hardware::LinkProfile& link, const hardware::HostProfile& host) {
  check_private_run(run);
  sim::Engine engine(run.seed);
  const int parties = protocols::parties_of(run.family);
  protocols::SimNetwork net(engine, parties, link, host);
  std::vector<std::unique_ptr<Protocol>> ps;
  std::vector<PartyResult> results(static_cast<std::size_t>(parties));
  const bool cost_mode = run.model == nullptr;
  const PartyClock clock = [&engine] { return engine.now(); };
  for (int p = 0; p < parties; ++p)
    ps.push_back(protocols::make_protocol(run.family, net.channel(p), run.seed, protocols::kDefaultFracBits, cost_mode));
  for (int p = 0; p < parties; ++p)
    engine.spawn(party_into(run, *ps[static_cast<std::size_t>(p)], clock, results[static_cast<std::size_t>(p)]), "P" + std::to_string(p));
  const sim::RunResult r = engine.run();
  if (!r.parked.empty()) throw std::logic_error("private decode: a party is stuck");

  PrivateStep out;
  const PartyResult& p0 = results[0];
  out.logits = p0.logits;
  out.revealed = p0.revealed;
  out.attended = p0.attended;
  out.total = p0.step;
  out.one_time = p0.one_time;
  out.total.bytes = out.one_time.bytes = 0;
  for (const PartyResult& pr : results) {
    out.party_bytes.push_back(pr.step.bytes);
    out.total.bytes += pr.step.bytes;
    out.one_time.bytes += pr.one_time.bytes;
    for (const auto& [cat, c] : pr.by_category) out.by_category[cat].bytes += c.bytes;
  }
  for (const auto& [cat, c] : p0.by_category) {
    out.by_category[cat].rounds = c.rounds;
    out.by_category[cat].seconds = c.seconds;
  }
  const OpCost& d = p0.declared;
  for (std::size_t p = 0; p < d.bytes.size(); ++p) out.declared.bytes += d.bytes[p];
  out.declared.bytes += d.offline_bytes;  // the dealer's preprocessing (semi2k), measured too
  out.declared.rounds = d.rounds.empty() ? 0 : d.rounds[0];
  return out;
}

void check_private_run(const PrivateRun& run) {
  if (run.arch.heads % run.arch.kv_heads != 0) throw std::invalid_argument("private decode: heads must be a multiple of kv heads");
  if (!run.model) return;
  if (run.model->length() < run.context) throw std::invalid_argument("private decode: the model holds fewer prompt tokens than context");
  const MpcSelection& s = run.selection;
  if (s.method == "static") {
    if (!run.static_kept || static_cast<int>(run.static_kept->size()) != run.arch.layers)
      throw std::invalid_argument("private decode: execute-mode static selection needs the kept rows of every layer");
    for (const auto& layer : *run.static_kept)
      for (const auto& rows : layer)
        for (int t : rows)
          if (t < 0 || t >= run.context) throw std::invalid_argument("private decode: a kept row lies outside the prompt");
  }
  if (s.method == "mpcache" && s.static_eviction) {
    if (!run.static_scores || static_cast<int>(run.static_scores->size()) != run.arch.layers)
      throw std::invalid_argument("private decode: execute-mode static eviction needs the prompt's scores for every layer");
    for (const auto& row : *run.static_scores)
      if (static_cast<int>(row.size()) != run.context)
        throw std::invalid_argument("private decode: static-eviction scores must cover the context");
  }
}

std::vector<std::vector<double>> static_eviction_scores(const models::lm::PrefillCapture& capture, const models::lm::SmallLm& lm,
                                                        int n, double obs_fraction) {
  std::vector<std::vector<double>> out;
  const int obs = models::kv::observation_rows(n, obs_fraction);
  for (std::size_t l = 0; l < capture.queries.size(); ++l) {
    const models::lm::MatrixRM mean = models::kv::observation_attention(capture.queries[l], lm.layer_keys(static_cast<int>(l)), n, obs);
    const Eigen::RowVectorXf sums = mean.colwise().sum();
    out.emplace_back(sums.data(), sums.data() + sums.size());
  }
  return out;
}

namespace {
// Forwards to a policy and keeps its last selection of every layer.
class SelectionRecorder final : public models::kv::KvPolicy {
 public:
  explicit SelectionRecorder(models::kv::KvPolicy& inner) : inner_(inner) {}
  std::string_view name() const override { return inner_.name(); }
  void begin(const models::kv::PolicyShape& shape) override {
    KvPolicy::begin(shape);
    inner_.begin(shape);
    last.assign(static_cast<std::size_t>(shape.n_layers), {});
  }
  void prefill(const models::kv::LayerPrefill& l) override { inner_.prefill(l); }
  void select(const models::kv::LayerDecode& l, models::kv::Selection& out) override {
    inner_.select(l, out);
    last[static_cast<std::size_t>(l.layer)] = out;
  }
  void observe(const models::kv::LayerDecode& l, const models::kv::Selection& sel, const std::vector<std::vector<float>>& p) override {
    inner_.observe(l, sel, p);
  }
  std::int64_t resident(int layer, int kv_head) const override { return inner_.resident(layer, kv_head); }
  models::kv::PolicyWork declared_decode_work(const models::kv::PolicyShape& sh, int n) const override {
    return inner_.declared_decode_work(sh, n);
  }
  models::kv::PolicyWork declared_prefill_work(const models::kv::PolicyShape& sh) const override { return inner_.declared_prefill_work(sh); }
  std::vector<models::kv::Selection> last;  // [layer]

 private:
  models::kv::KvPolicy& inner_;
};
}  // namespace

const std::vector<std::string>& static_policies() {
  static const std::vector<std::string> names{"streaming", "h2o", "snapkv", "tova"};
  return names;
}

std::vector<std::vector<std::vector<std::int32_t>>> static_kept_rows(const models::lm::LmWeights& w, const std::vector<int>& prompt,
                                                                     int token, const std::string& policy, int budget) {
  auto inner = models::kv::make_policy(policy, {{"budget", static_cast<double>(budget)}});
  SelectionRecorder rec(*inner);
  models::lm::SmallLm lm(w);
  lm.prefill(prompt, &rec);
  lm.decode(token, &rec);
  const int n = static_cast<int>(prompt.size()), group = w.config.n_heads / w.config.n_kv_heads;
  std::vector<std::vector<std::vector<std::int32_t>>> out(rec.last.size());
  for (std::size_t l = 0; l < rec.last.size(); ++l)
    for (int g = 0; g < w.config.n_kv_heads; ++g) {
      std::vector<std::int32_t> rows;
      for (std::int32_t t : rec.last[l][static_cast<std::size_t>(g * group)])
        if (t < n) rows.push_back(t);
      out[l].push_back(std::move(rows));
    }
  return out;
}

void attach_small_prompt(PrivateRun& run, const models::lm::SmallLm& lm, const SmallPrompt& prompt,
                         std::vector<std::vector<std::vector<std::int32_t>>>& kept) {
  run.model = &lm;
  run.token = prompt.token;
  run.static_scores = &prompt.static_scores;
  if (run.selection.method == "static") {
    kept = static_kept_rows(lm.weights(), prompt.tokens, prompt.token, run.selection.static_policy, run.selection.budget);
    run.static_kept = &kept;
  }
}

SmallPrompt prefill_small_prompt(models::lm::SmallLm& lm, std::uint64_t seed, int context) {
  sim::Rng rng = sim::RandomStreams(seed).stream("private-decode/prompt");
  const models::lm::Episode e = models::lm::passkey_episode(rng, context + 1, models::lm::Filler::kClassic, "");
  SmallPrompt out;
  out.tokens.assign(e.tokens.begin(), e.tokens.begin() + context);
  out.token = e.tokens[static_cast<std::size_t>(context)];
  models::lm::PrefillCapture capture;
  lm.prefill(out.tokens, nullptr, &capture);
  out.static_scores = static_eviction_scores(capture, lm, context);
  return out;
}

}  // namespace kvsim::runner
