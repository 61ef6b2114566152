// models/lm/trace_replay.cpp — see kv_trace_replay.h.
#include "models/lm/trace_replay.h"

#include <stdexcept>

#include "models/kv/attention.h"

namespace kvsim::models::lm {
namespace kv = models::kv;
using kv::MatrixRM;

namespace {

// [heads][T][d] row-major block -> one matrix per head.
std::vector<MatrixRM> per_head(const std::vector<float>& data, int heads, int tokens, int d, int rows) {
  std::vector<MatrixRM> out;
  for (int h = 0; h < heads; ++h)
    out.push_back(Eigen::Map<const MatrixRM>(data.data() + static_cast<std::size_t>(h) * tokens * d, tokens, d).topRows(rows));
  return out;
}

// A full-cache policy that copies each decode step's queries: how the live model's Q is recorded.
class QueryRecorder final : public kv::KvPolicy {
 public:
  std::string_view name() const override { return "recorder"; }
  void prefill(const kv::LayerPrefill&) override {}
  void select(const kv::LayerDecode& l, kv::Selection& out) override {
    if (static_cast<int>(steps.size()) <= l.layer) steps.resize(l.layer + 1);
    steps[l.layer].push_back(*l.queries);
    for (auto& s : out) s = kv::iota_positions(0, l.length);
  }
  std::int64_t resident(int, int) const override { return 0; }
  kv::PolicyWork declared_decode_work(const kv::PolicyShape&, int) const override { return {}; }
  kv::PolicyWork declared_prefill_work(const kv::PolicyShape&) const override { return {}; }
  std::vector<std::vector<std::vector<Eigen::VectorXf>>> steps;  // [layer][step][q_head]
};

}  // namespace

TraceQuality replay_trace(const results::KvTrace& t, kv::KvPolicy& policy) {
  const int T = t.tokens(), d = t.head_dim, P = t.prompt_length;
  std::vector<std::vector<MatrixRM>> q, k, v, prompt_q;
  for (int l = 0; l < t.n_layers; ++l) {
    q.push_back(per_head(t.q[l], t.n_heads, T, d, T));
    prompt_q.push_back(per_head(t.q[l], t.n_heads, T, d, P));
    k.push_back(per_head(t.k[l], t.n_kv_heads, T, d, T));
    v.push_back(per_head(t.v[l], t.n_kv_heads, T, d, T));
  }
  kv::MeasuredPolicy measured(policy);
  const kv::PolicyShape shape{t.n_layers, t.n_heads, t.n_kv_heads, d, P};
  measured.begin(shape);
  for (int l = 0; l < t.n_layers; ++l) measured.prefill({l, P, &prompt_q[l], &k[l], &v[l]});
  kv::Selection sel(t.n_heads);
  std::vector<std::vector<float>> probs(t.n_heads);
  std::vector<Eigen::VectorXf> step_q(t.n_heads);
  Eigen::VectorXf out;
  TraceQuality r;
  for (int s = 0; s < t.decode_steps; ++s) {
    const int length = P + s + 1;
    for (int l = 0; l < t.n_layers; ++l) {
      for (int h = 0; h < t.n_heads; ++h) step_q[h] = q[l][h].row(length - 1).transpose();
      const kv::LayerDecode view{l, length, &step_q, &k[l], &v[l]};
      measured.select(view, sel);
      for (int h = 0; h < t.n_heads; ++h)
        kv::attend(step_q[h], k[l][h / shape.group()], v[l][h / shape.group()], sel[h], probs[h], out);
      measured.observe(view, sel, probs);
    }
    ++r.decode_steps;
  }
  const double n = std::max<long>(1, measured.samples);
  r.attention_recall = measured.recall_sum / n;
  r.output_rel_error = measured.error_sum / n;
  r.attended_fraction = measured.attended_sum / n;
  r.attended_rows = measured.attended_rows_sum / n;
  r.adjacent_layer_overlap = measured.overlap_samples ? measured.overlap_sum / measured.overlap_samples : 1.0;
  double res = 0;
  for (int l = 0; l < t.n_layers; ++l)
    for (int h = 0; h < t.n_kv_heads; ++h) res += static_cast<double>(policy.resident(l, h)) / T;
  r.resident_fraction = res / (t.n_layers * t.n_kv_heads);
  r.prefill_work = policy.prefill_work();
  r.decode_work = policy.decode_work();
  return r;
}

results::KvTrace record_small_model_trace(const models::lm::LmWeights& weights, const std::vector<int>& tokens,
                                          int prompt_length) {
  if (prompt_length < 1 || prompt_length > static_cast<int>(tokens.size()))
    throw std::invalid_argument("record_small_model_trace: prompt length out of range");
  const auto& c = weights.config;
  models::lm::SmallLm lm(weights);
  models::lm::PrefillCapture capture;
  lm.prefill(std::span<const int>(tokens).first(prompt_length), nullptr, &capture);
  QueryRecorder rec;
  rec.begin({c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim, prompt_length});
  for (std::size_t i = prompt_length; i < tokens.size(); ++i) lm.decode(tokens[i], &rec);
  results::KvTrace t;
  t.model = "kvsim-byte-lm";
  t.n_layers = c.n_layers;
  t.n_heads = c.n_heads;
  t.n_kv_heads = c.n_kv_heads;
  t.head_dim = c.head_dim;
  t.prompt_length = prompt_length;
  t.decode_steps = static_cast<int>(tokens.size()) - prompt_length;
  const int T = t.tokens(), d = c.head_dim;
  for (int l = 0; l < c.n_layers; ++l) {
    std::vector<float> q(static_cast<std::size_t>(c.n_heads) * T * d), k(static_cast<std::size_t>(c.n_kv_heads) * T * d);
    std::vector<float> v(k.size());
    for (int h = 0; h < c.n_heads; ++h)
      for (int p = 0; p < T; ++p)
        for (int i = 0; i < d; ++i)
          q[(static_cast<std::size_t>(h) * T + p) * d + i] =
              p < prompt_length ? capture.queries[l][h](p, i) : rec.steps[l][p - prompt_length][h][i];
    for (int h = 0; h < c.n_kv_heads; ++h)
      for (int p = 0; p < T; ++p)
        for (int i = 0; i < d; ++i) {
          k[(static_cast<std::size_t>(h) * T + p) * d + i] = lm.keys(l, h)(p, i);
          v[(static_cast<std::size_t>(h) * T + p) * d + i] = lm.values(l, h)(p, i);
        }
    t.q.push_back(std::move(q));
    t.k.push_back(std::move(k));
    t.v.push_back(std::move(v));
  }
  return t;
}

}  // namespace kvsim::models::lm
