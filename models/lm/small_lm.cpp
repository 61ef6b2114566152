// models/lm/small_lm.cpp — see small_lm.h. Layer arithmetic mirrors tools/train/model.py line for
// line; where float rounding could differ (RoPE angles) the same fp32 operations are used.
#include "models/lm/small_lm.h"

#include <cmath>
#include <stdexcept>

#include "models/kv/attention.h"
#include "models/speculative/math.h"

namespace kvsim::models::lm {
namespace {

// SiLU(gate) * up, elementwise: a decode step's vectors or a prefill's matrices.
template <class M>
M swiglu(const M& gate, const M& up) {
  return (gate.array() / (1.0f + (-gate.array()).exp()) * up.array()).matrix();
}

}  // namespace

SmallLm::SmallLm(const LmWeights& weights) : w_(&weights) {
  const auto& c = weights.config;
  keys_.assign(c.n_layers, std::vector<MatrixRM>(c.n_kv_heads));
  values_ = keys_;
  q_heads_.assign(c.n_heads, Eigen::VectorXf(c.head_dim));
}

void SmallLm::ensure_capacity(int rows) {
  const auto& c = w_->config;
  if (!keys_.empty() && !keys_[0].empty() && keys_[0][0].rows() >= rows) return;
  const int cap = std::max(rows, 2 * static_cast<int>(keys_[0][0].rows()));
  for (int l = 0; l < c.n_layers; ++l)
    for (int h = 0; h < c.n_kv_heads; ++h) {
      keys_[l][h].conservativeResize(cap, c.head_dim);
      values_[l][h].conservativeResize(cap, c.head_dim);
    }
}

// Rotate-half RoPE; angles computed as torch does: float32 inv_freq = 1 / base^(2i/d), angle =
// float(pos) * inv_freq in float32.
void SmallLm::rope_in_place(float* x, int heads, int position) const {
  const auto& c = w_->config;
  const int half = c.head_dim / 2;
  for (int i = 0; i < half; ++i) {
    const float inv_freq = rope_inverse_frequency(c.rope_base, i, c.head_dim);
    const float angle = static_cast<float>(position) * inv_freq;
    const float cs = std::cos(angle), sn = std::sin(angle);
    for (int h = 0; h < heads; ++h) {
      float* v = x + h * c.head_dim;
      const float x1 = v[i], x2 = v[i + half];
      v[i] = x1 * cs - x2 * sn;
      v[i + half] = x2 * cs + x1 * sn;
    }
  }
}

Vector SmallLm::rms_norm(const Vector& x, const Vector& weight) const {
  const float inv = 1.0f / std::sqrt(x.squaredNorm() / static_cast<float>(x.size()) + w_->config.norm_eps);
  return (x * inv).cwiseProduct(weight);
}

MatrixRM SmallLm::prefill(std::span<const int> tokens, kv::KvPolicy* policy, PrefillCapture* capture) {
  constexpr int kAttendChunk = 128;
  const auto& c = w_->config;
  const int T = static_cast<int>(tokens.size());
  if (T == 0) throw std::invalid_argument("SmallLm::prefill: empty prompt");
  if (length_ != 0) throw std::logic_error("SmallLm::prefill: the cache is not empty (prefill once per sequence)");
  ensure_capacity(T);
  const int hd = c.head_dim;
  MatrixRM x(T, c.d_model);
  for (int t = 0; t < T; ++t) {
    if (tokens[t] < 0 || tokens[t] >= c.vocab) throw std::invalid_argument("SmallLm::prefill: token out of range");
    x.row(t) = w_->embed.row(tokens[t]);
  }
  if (policy) policy->begin({c.n_layers, c.n_heads, c.n_kv_heads, hd, T});
  if (capture) {
    capture->probs.assign(capture->attention ? c.n_layers : 0, {});
    capture->queries.assign(c.n_layers, {});
    capture->softmax.assign(c.n_layers, {});
  }
  std::vector<MatrixRM> q_heads(c.n_heads, MatrixRM(T, hd));
  MatrixRM probs;
  kv::PrefillAttention softmax;
  for (int l = 0; l < c.n_layers; ++l) {
    const auto& L = w_->layers[l];
    MatrixRM h(T, c.d_model);
    for (int t = 0; t < T; ++t) h.row(t) = rms_norm(x.row(t).transpose(), L.attn_norm).transpose();
    MatrixRM q = h * L.wq.transpose(), k = h * L.wk.transpose(), v = h * L.wv.transpose();
    for (int t = 0; t < T; ++t) {
      rope_in_place(q.row(t).data(), c.n_heads, t);
      rope_in_place(k.row(t).data(), c.n_kv_heads, t);
    }
    for (int kh = 0; kh < c.n_kv_heads; ++kh) {
      keys_[l][kh].topRows(T) = k.middleCols(kh * hd, hd);
      values_[l][kh].topRows(T) = v.middleCols(kh * hd, hd);
    }
    MatrixRM attn_out(T, c.n_heads * hd);
    softmax.column_sums.assign(c.n_kv_heads, std::vector<float>(T, 0.0f));
    softmax.memo = std::make_shared<kv::PrefillMemo>();  // one per layer: its keys omit the layer
    softmax.row_peak.resize(c.n_heads);
    softmax.row_sum.resize(c.n_heads);
    for (int qh = 0; qh < c.n_heads; ++qh) {
      const int kh = qh / c.group();
      q_heads[qh] = q.middleCols(qh * hd, hd);
      kv::causal_attention_rows(q_heads[qh], keys_[l][kh], 0, T, T, probs, &softmax.row_peak[qh], &softmax.row_sum[qh]);
      // Rows in chunks, each multiplied by the values its last row can see: the triangle, not the
      // square (the zeros right of the diagonal would add nothing but time).
      for (int a = 0; a < T; a += kAttendChunk) {
        const int b = std::min(T, a + kAttendChunk);
        attn_out.block(a, qh * hd, b - a, hd).noalias() = probs.block(a, 0, b - a, b) * values_[l][kh].topRows(b);
      }
      // Heads in order, rows ascending: the order of kv::PrefillAttention's contract.
      auto& column = softmax.column_sums[kh];
      for (int i = 0; i < T; ++i)
        for (int j = 0; j <= i; ++j) column[j] += probs(i, j);
      if (capture && capture->attention) capture->probs[l].push_back(probs);
    }
    x += attn_out * L.wo.transpose();
    // The MLP over all rows at once (matrix products; decode's are matrix-vector, equal to float
    // rounding).
    for (int t = 0; t < T; ++t) h.row(t) = rms_norm(x.row(t).transpose(), L.mlp_norm).transpose();
    const MatrixRM gate = h * L.w_gate.transpose(), up = h * L.w_up.transpose();
    x.noalias() += swiglu(gate, up) * L.w_down.transpose();
    length_ = T;
    if (policy) policy->prefill({l, T, &q_heads, &keys_[l], &values_[l], &softmax});
    if (capture) capture->queries[l] = q_heads, capture->softmax[l] = softmax;
  }
  for (int t = 0; t < T; ++t) x.row(t) = rms_norm(x.row(t).transpose(), w_->final_norm).transpose();
  return x * w_->lm_head.transpose();
}

Eigen::VectorXf SmallLm::decode(int token, kv::KvPolicy* policy) {
  const auto& c = w_->config;
  if (token < 0 || token >= c.vocab) throw std::invalid_argument("SmallLm::decode: token out of range");
  const int pos = length_;
  ensure_capacity(pos + 1);
  const int hd = c.head_dim;
  Vector x = w_->embed.row(token).transpose();
  selection_.resize(c.n_heads);
  probs_.resize(c.n_heads);
  Eigen::VectorXf head_out;
  for (int l = 0; l < c.n_layers; ++l) {
    const auto& L = w_->layers[l];
    const Vector h = rms_norm(x, L.attn_norm);
    Vector q = L.wq * h, k = L.wk * h, v = L.wv * h;
    rope_in_place(q.data(), c.n_heads, pos);
    rope_in_place(k.data(), c.n_kv_heads, pos);
    for (int kh = 0; kh < c.n_kv_heads; ++kh) {
      keys_[l][kh].row(pos) = k.segment(kh * hd, hd).transpose();
      values_[l][kh].row(pos) = v.segment(kh * hd, hd).transpose();
    }
    for (int qh = 0; qh < c.n_heads; ++qh) q_heads_[qh] = q.segment(qh * hd, hd);
    const kv::LayerDecode view{l, pos + 1, &q_heads_, &keys_[l], &values_[l]};
    if (policy) {
      policy->select(view, selection_);
    } else {
      for (auto& s : selection_) s = kv::iota_positions(0, pos + 1);
    }
    Vector attn_out(c.n_heads * hd);
    for (int qh = 0; qh < c.n_heads; ++qh) {
      const int kh = qh / c.group();
      kv::attend(q_heads_[qh], keys_[l][kh], values_[l][kh], selection_[qh], probs_[qh], head_out);
      attn_out.segment(qh * hd, hd) = head_out;
    }
    if (policy) policy->observe(view, selection_, probs_);
    x += L.wo * attn_out;
    const Vector hm = rms_norm(x, L.mlp_norm);
    x += L.w_down * swiglu<Vector>(L.w_gate * hm, L.w_up * hm);
  }
  length_ = pos + 1;
  return w_->lm_head * rms_norm(x, w_->final_norm);
}

float rope_inverse_frequency(float base, int pair, int head_dim) {
  return 1.0f / std::pow(base, static_cast<float>(2 * pair) / static_cast<float>(head_dim));
}

int choose_token(const Eigen::VectorXf& logits, double temperature, double top_p, sim::Rng& rng) {
  if (temperature == 0) {
    Eigen::Index best;
    logits.maxCoeff(&best);
    return static_cast<int>(best);
  }
  std::vector<double> l(logits.data(), logits.data() + logits.size());
  return spec::sample(spec::distribution(l, temperature, top_p), rng);
}

Eigen::VectorXf log_softmax(const Eigen::VectorXf& logits) {
  const float peak = logits.maxCoeff();
  const float lse = peak + std::log((logits.array() - peak).exp().sum());
  return (logits.array() - lse).matrix();
}

}  // namespace kvsim::models::lm
