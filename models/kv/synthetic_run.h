// models/kv/synthetic_run.h — drives a policy over seeded random queries, keys and values of a
// given shape, without a model: the harness of the policy tests (declared == measured work, hand
// cases) and of the per-step selection benchmark.
//
// Contract: keys/values/queries are standard normal from the given seed; prefill() hands the
// policy a dense prefill of shape.prompt_length tokens per layer; step() appends one token to
// every layer and runs select + observe with the probabilities of the selected attention.
#pragma once

#include <cstdint>
#include <vector>

#include "models/kv/policy.h"

namespace kvsim::models::kv {

class SyntheticRun {
 public:
  SyntheticRun(const PolicyShape& shape, std::uint64_t seed, int max_length);
  void prefill(KvPolicy& policy);
  // One decode step over every layer; returns the selection of the last layer.
  const Selection& step(KvPolicy& policy);
  int length() const { return length_; }
  // Direct access so hand-made tests can plant structure before prefill.
  std::vector<MatrixRM>& keys(int layer) { return keys_[layer]; }
  std::vector<MatrixRM>& prompt_queries(int layer) { return prompt_q_[layer]; }
  std::vector<Eigen::VectorXf>& step_queries(int layer) { return step_q_[layer]; }

 private:
  PolicyShape shape_;
  int length_ = 0;
  std::vector<std::vector<MatrixRM>> keys_, values_, prompt_q_;  // [layer][head]
  std::vector<std::vector<Eigen::VectorXf>> step_q_;             // [layer][q_head], redrawn per step
  std::uint64_t state_;
  Selection selection_;
  std::vector<std::vector<float>> probs_;
  float normal();
  void redraw_step_queries();
};

}  // namespace kvsim::models::kv
