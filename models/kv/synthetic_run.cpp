// models/kv/synthetic_run.cpp — see synthetic_run.h.
#include "models/kv/synthetic_run.h"

#include <cmath>

#include "models/kv/attention.h"

namespace kvsim::models::kv {

// splitmix64 + Box-Muller: a self-contained seeded normal stream (no dependency on sim/).
float SyntheticRun::normal() {
  auto next = [this] {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
  };
  const double u = next() + 1e-300, v = next();
  return static_cast<float>(std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v));
}

SyntheticRun::SyntheticRun(const PolicyShape& shape, std::uint64_t seed, int max_length) : shape_(shape), state_(seed) {
  keys_.assign(shape.n_layers, std::vector<MatrixRM>(shape.n_kv_heads, MatrixRM(max_length, shape.head_dim)));
  values_ = keys_;
  prompt_q_.assign(shape.n_layers, std::vector<MatrixRM>(shape.n_heads, MatrixRM(shape.prompt_length, shape.head_dim)));
  for (auto* set : {&keys_, &values_, &prompt_q_})
    for (auto& layer : *set)
      for (auto& m : layer)
        for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal();
  step_q_.assign(shape.n_layers, std::vector<Eigen::VectorXf>(shape.n_heads, Eigen::VectorXf(shape.head_dim)));
  redraw_step_queries();
  selection_.resize(shape.n_heads);
  probs_.resize(shape.n_heads);
}

void SyntheticRun::redraw_step_queries() {
  for (auto& layer : step_q_)
    for (auto& q : layer)
      for (Eigen::Index i = 0; i < q.size(); ++i) q[i] = normal();
}

void SyntheticRun::prefill(KvPolicy& policy) {
  policy.begin(shape_);
  length_ = shape_.prompt_length;
  for (int l = 0; l < shape_.n_layers; ++l) policy.prefill({l, length_, &prompt_q_[l], &keys_[l], &values_[l]});
}

const Selection& SyntheticRun::step(KvPolicy& policy) {
  ++length_;
  Eigen::VectorXf out;
  for (int l = 0; l < shape_.n_layers; ++l) {
    const LayerDecode view{l, length_, &step_q_[l], &keys_[l], &values_[l]};
    policy.select(view, selection_);
    for (int qh = 0; qh < shape_.n_heads; ++qh)
      attend(step_q_[l][qh], keys_[l][qh / shape_.group()], values_[l][qh / shape_.group()], selection_[qh], probs_[qh], out);
    policy.observe(view, selection_, probs_);
  }
  redraw_step_queries();
  return selection_;
}

}  // namespace kvsim::models::kv
