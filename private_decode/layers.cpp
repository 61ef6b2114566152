// private_decode/layers.cpp — the transformer's layers on the protocol ops: embedding by one-hot
// product, LayerNorm / RMSNorm, RoPE, attention over the selected rows, the MLP, the LM head.
#include "private_decode/layers.h"

#include <cmath>

#include "models/lm/small_lm.h"

namespace kvsim::private_decode {
namespace {

class Transformer : ContextView {
 public:
  explicit Transformer(Context& c) : ContextView(c) {}

  Task<Share> norm(const Share& x_in, const Share& w) {
    const int D = a.d_model;
    const int f = ops.P.frac_bits();
    const Share x = flat(x_in);
    Share xc = x;
    if (a.style == "gpt2") {
      const Share sum = sum_rows(x, 1, D);
      const Share sum_over_d = ops.P.mul_public(sum, protocols::encode_fixed(1.0 / D, f));
      Share mean = co_await ops.trunc("other", sum_over_d);
      const Share wide = repeat_each(mean, D);
      xc = ops.P.sub(x, wide);
    }
    Share sq = co_await ops.mul("other", xc, xc);
    const Share ssum = sum_rows(sq, 1, D);
    // mean(x^2) * 256, inside rsqrt's [1, 2^18] (activations with rms in [1/16, 32]).
    const Share mean_sq_scaled = ops.P.mul_public(ssum, protocols::encode_fixed(256.0 / D, f));
    Share ms = co_await ops.trunc("other", mean_sq_scaled);
    Share inv = co_await ops.rsqrt("other", ms, 1 << 18);
    const Share inv16 = ops.P.mul_public(inv, 16);  // rsqrt(ms) = 16 rsqrt(256 ms)
    const Share wide = repeat_each(inv16, D);
    Share y = co_await ops.mul("other", xc, wide);
    Share out = co_await ops.mul("other", y, w);
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
    const Share sum = ops.P.add(mul_public_tensor(x, cs, ops.P.frac_bits()), mul_public_tensor(xr, sn, ops.P.frac_bits()));
    Share out = co_await ops.trunc("other", sum);
    co_return out;
  }

  Task<Share> attention(const Share& q, const Attended& att) {
    if (att.prompt) {
      Share o = co_await attention_with_prompt(q, att);
      co_return o;
    }
    const int H = a.heads, hd = a.head_dim, n = att.n;
    const Share kt = transposed_keys(att.k, n);
    Share sc = co_await ops.matmul("attention", q, kt, MatDims{H, 1, hd, n});
    Share scaled = co_await scale_scores(sc, att);
    Share p = co_await ops.softmax_rows("softmax", scaled, H, n);
    Share o = co_await ops.matmul("attention", p, att.v, MatDims{H, 1, n, hd});
    co_return o;
  }

  // The prompt's rows from the operands prepared once (LayerShares::kt_prompt, v_prompt), the
  // rows after it as fresh products: scores [q K_prompt^T, q K_new^T], one softmax over all of
  // them, then p_prompt V_prompt + p_new V_new.
  Task<Share> attention_with_prompt(const Share& q, const Attended& att) {
    const int H = a.heads, hd = a.head_dim, n = att.n, T = att.prompt->prompt_rows, r = n - T;
    Share sp = co_await ops.matmul("attention", q, att.prompt->kt_prompt, MatDims{H, 1, hd, T});
    const Share kt_new = transposed_keys(att.k, r);
    Share sn = co_await ops.matmul("attention", q, kt_new, MatDims{H, 1, hd, r});
    const Share sc = by_head(sp, T, sn, r);
    Share scaled = co_await scale_scores(sc, att);
    Share p = co_await ops.softmax_rows("softmax", scaled, H, n);
    const Share p_prompt = take_lazy(p, [&] { return head_columns(n, 0, T); }, Shape{H, 1, T});
    const Share p_new = take_lazy(p, [&] { return head_columns(n, T, r); }, Shape{H, 1, r});
    Share op = co_await ops.matmul("attention", p_prompt, att.prompt->v_prompt, MatDims{H, 1, T, hd});
    Share on = co_await ops.matmul("attention", p_new, att.v, MatDims{H, 1, r, hd});
    co_return ops.P.add(flat(std::move(op)), flat(std::move(on)));
  }

  // K^T (H, d, n) of (H, n, d) keys.
  Share transposed_keys(const Share& k, int n) const {
    const int H = a.heads, hd = a.head_dim;
    return take_lazy(k, [&] {
      std::vector<std::int64_t> idx;
      for (int h = 0; h < H; ++h)
        for (int c = 0; c < hd; ++c)
          for (int t = 0; t < n; ++t) idx.push_back((static_cast<std::int64_t>(h) * n + t) * hd + c);
      return idx;
    }, Shape{H, hd, n});
  }
  // Columns [from, from + count) of each head's row of an (H, n) share.
  std::vector<std::int64_t> head_columns(int n, int from, int count) const {
    std::vector<std::int64_t> idx;
    for (int h = 0; h < a.heads; ++h)
      for (int t = 0; t < count; ++t) idx.push_back(static_cast<std::int64_t>(h) * n + from + t);
    return idx;
  }
  // (H, x) and (H, y) scores side by side per head: (H, x + y).
  Share by_head(const Share& left, int x, const Share& right, int y) const {
    const int H = a.heads;
    const std::vector<const Share*> parts = {&left, &right};
    const Share both = concat(parts, Shape{H * (x + y)});
    return take_lazy(both, [&] {
      std::vector<std::int64_t> idx;
      for (int h = 0; h < H; ++h) {
        for (int t = 0; t < x; ++t) idx.push_back(static_cast<std::int64_t>(h) * x + t);
        for (int t = 0; t < y; ++t) idx.push_back(static_cast<std::int64_t>(H) * x + h * y + t);
      }
      return idx;
    }, Shape{H, x + y});
  }
  // Scores / sqrt(d), plus the selector's secret offset when it set one.
  Task<Share> scale_scores(const Share& sc, const Attended& att) {
    const Share prescaled = ops.P.mul_public(sc, protocols::encode_fixed(1.0 / std::sqrt(a.head_dim), ops.P.frac_bits()));
    Share scaled = co_await ops.trunc("attention", prescaled);
    if (!att.offset.shape.empty()) {
      Share off = att.offset;
      off.shape = scaled.shape;
      scaled = ops.P.add(scaled, off);
    }
    co_return scaled;
  }

  Task<void> step(Share tok, Selector& selector, StepOutput& result) {
    const int D = a.d_model, hd = a.head_dim, H = a.heads, Hk = a.kv_heads;
    Share oh = co_await ops.slice_mask("other", tok, a.vocab);
    Share emb = co_await ops.gather("linear", oh, m.embed, MatDims{1, 1, a.vocab, D});
    Share x = flat(std::move(emb));
    const int pos = run.context;  // the new token's position (RoPE uses the original positions)
    std::vector<Share> shared;
    for (int l = 0; l < a.layers; ++l) {
      auto& L = m.layers[static_cast<std::size_t>(l)];
      Share h = co_await norm(x, L.norm1);
      Share q = co_await ops.matmul("linear", h, L.wq, MatDims{1, 1, D, H * hd});
      Share k = co_await ops.matmul("linear", h, L.wk, MatDims{1, 1, D, Hk * hd});
      Share v = co_await ops.matmul("linear", h, L.wv, MatDims{1, 1, D, Hk * hd});
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
      Attended att = co_await selector.select(l, q, L.k, L.v, n, shared);
      result.attended = att.n;
      Share o = co_await attention(q, att);
      Share proj = co_await ops.matmul("linear", o, L.wo, MatDims{1, 1, H * hd, D});
      x = ops.P.add(x, flat(std::move(proj)));
      Share h2 = co_await norm(x, L.norm2);
      Share up = co_await ops.matmul("linear", h2, L.w_up, MatDims{1, 1, D, a.ffn});
      Share act;
      if (a.style == "llama") {
        Share gate = co_await ops.matmul("linear", h2, L.w_gate, MatDims{1, 1, D, a.ffn});
        Share sg = co_await ops.silu("other", gate);
        act = co_await ops.mul("other", sg, up);
      } else if (a.activation == "silu") {
        act = co_await ops.silu("other", up);
      } else {
        act = co_await ops.gelu("other", up);
      }
      Share down = co_await ops.matmul("linear", act, L.w_down, MatDims{1, 1, a.ffn, D});
      x = ops.P.add(x, flat(std::move(down)));
    }
    Share hf = co_await norm(x, m.final_norm);
    Share lg = co_await ops.matmul("linear", hf, m.lm_head, MatDims{1, 1, D, a.vocab});
    if (run.output == "argmax") {
      Share idx = co_await ops.argmax("other", lg, 1, a.vocab);
      RingTensor tok_out = co_await ops.reveal("other", idx);
      if (!tok_out.data.empty()) result.token = static_cast<int>(tok_out.data[0]);
      co_return;
    }
    RingTensor out = co_await ops.reveal("other", lg);
    if (!out.data.empty()) result.logits = protocols::decode(out, ops.P.frac_bits());
    result.revealed = std::move(out.data);
  }
};

}  // namespace

Task<void> decode_step(Context& c, Selector& selector, Share token, StepOutput& out) {
  Transformer t(c);
  co_await t.step(std::move(token), selector, out);
}

}  // namespace kvsim::private_decode
