// models/lm/small_lm.h — the Eigen runtime of kvsim's small trained model: dense causal prefill,
// one-token decode over a KV cache whose visible entries a KV policy chooses, and sampling.
//
// Contract: the arithmetic is the PyTorch reference's (tools/train/model.py) in fp32: RMSNorm,
// rotate-half RoPE on q and k by absolute position, GQA, SwiGLU; tests/models/small_lm_test.cpp
// checks logits and attention against a committed PyTorch fixture. The cache stores every key
// (post-RoPE) and value; with a policy, decode attends only to what the policy selects (and the
// policy is told about prefill after each layer's dense attention). A SmallLm is a value: copying
// it snapshots the cache, which lets one prefill serve many policies.
#pragma once

#include <span>
#include <vector>

#include "models/kv/policy.h"
#include "models/lm/checkpoint.h"
#include "sim/random.h"

namespace kvsim::models::lm {

struct PrefillCapture {
  bool attention = false;                 // also keep per-layer, per-head probabilities
  std::vector<std::vector<MatrixRM>> probs;  // [layer][q_head] (T x T)
  std::vector<std::vector<MatrixRM>> queries;  // [layer][q_head] (T x head_dim), always kept
  std::vector<kv::PrefillAttention> softmax;   // [layer], always kept: what policies may reuse
};

class SmallLm {
 public:
  explicit SmallLm(const LmWeights& weights);

  // Dense prefill of `tokens` into an empty cache; returns logits for every position (T x vocab).
  // With a policy, calls policy->begin() and policy->prefill() for each layer.
  MatrixRM prefill(std::span<const int> tokens, kv::KvPolicy* policy = nullptr, PrefillCapture* capture = nullptr);
  // Appends one token and returns the next-token logits. Without a policy every position is seen.
  Eigen::VectorXf decode(int token, kv::KvPolicy* policy = nullptr);

  int length() const { return length_; }
  const LmConfig& config() const { return w_->config; }
  // Post-RoPE keys / values of (layer, kv_head); rows [0, length()) are valid.
  const MatrixRM& keys(int layer, int kv_head) const { return keys_[layer][kv_head]; }
  const MatrixRM& values(int layer, int kv_head) const { return values_[layer][kv_head]; }
  const LmWeights& weights() const { return *w_; }
  const std::vector<MatrixRM>& layer_keys(int layer) const { return keys_[layer]; }
  const std::vector<MatrixRM>& layer_values(int layer) const { return values_[layer]; }

 private:
  void ensure_capacity(int rows);
  void rope_in_place(float* x, int heads, int position) const;
  Vector rms_norm(const Vector& x, const Vector& weight) const;

  const LmWeights* w_;
  int length_ = 0;
  std::vector<std::vector<MatrixRM>> keys_, values_;  // [layer][kv_head]
  // Scratch reused across decode steps.
  std::vector<Eigen::VectorXf> q_heads_;
  kv::Selection selection_;
  std::vector<std::vector<float>> probs_;
};

// RoPE's inverse frequency of rotary pair i (of head_dim / 2): 1 / base^(2i / head_dim) in
// binary32, as tools/train/model.py computes it. The private decode's RoPE uses it too, so that
// both take the checkpoint's base.
float rope_inverse_frequency(float base, int pair, int head_dim);

// Next-token choice: temperature 0 is greedy (first arg-max); otherwise softmax(logits / T) with
// nucleus top_p, drawn from the seeded stream (the same routine speculative decoding uses).
int choose_token(const Eigen::VectorXf& logits, double temperature, double top_p, sim::Rng& rng);
// Natural-log probabilities of the logits.
Eigen::VectorXf log_softmax(const Eigen::VectorXf& logits);

}  // namespace kvsim::models::lm
