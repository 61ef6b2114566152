// private_decode/weights.cpp — the model's shares: party 0 inputs its weights (prepared as
// fixed operands) and the prompt's KV from its plaintext prefill; in cost mode, shapes only.
#include "private_decode/layers.h"

#include <memory>

namespace kvsim::private_decode {
namespace {

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

class Loader : ContextView {
 public:
  explicit Loader(Context& c) : ContextView(c) {}

  // Party 0 inputs a tensor (real values in execute mode at party 0 only). Shapes and shares are
  // named locals around every co_await: GCC 12 can destroy temporaries of a co_await expression
  // twice (docs/architecture.md).
  Task<Share> weight(const std::vector<double>* values, Shape shape) {
    // Cost mode: the model is loaded before the step and its (large) loading traffic is not part
    // of what is measured, so weights and the prompt KV are shapes only, without messages.
    if (!exec()) co_return protocols::shape_only(shape);
    const bool mine = ops.P.id() == 0 && values != nullptr;
    RingTensor t;
    if (mine) t = protocols::encode(shape, *values, ops.P.frac_bits());
    Share s = co_await ops.input("load", 0, mine ? &t : nullptr, shape);
    co_return s;
  }

  // A weight matrix (k x n): input, then prepared for reuse.
  Task<protocols::FixedOperand> operand(const std::vector<double>* values, Shape shape) {
    Share w = co_await weight(values, shape);
    const MatDims dims{1, 1, shape[0], shape[1]};
    protocols::FixedOperand op = co_await ops.P.prepare_operand(w, dims);
    co_return op;
  }

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
};

}  // namespace

Task<void> load_model(Context& c) {
  Loader loader(c);
  co_await loader.load();
}

}  // namespace kvsim::private_decode
