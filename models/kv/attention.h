// models/kv/attention.h — the attention arithmetic shared by the small-model runtime, the policies
// and the quality measurements, so that all three compute the same softmax the same way.
//
// Contract: fp32, scale 1/sqrt(head_dim), max-subtracted softmax. Causal prefill rows: row i sees
// keys 0..i. top_k() breaks ties by the lower position (torch.topk leaves tie order unspecified;
// kvsim fixes it so that runs are reproducible).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "models/kv/policy.h"

namespace kvsim::models::kv {

// Attention of one query over the given positions of K/V: probabilities aligned with positions,
// and the output sum_i p_i V[pos_i].
void attend(const Eigen::VectorXf& q, const MatrixRM& keys, const MatrixRM& values,
            std::span<const std::int32_t> positions, std::vector<float>& probs, Eigen::VectorXf& out);

// out = sum_i weights[i] V[positions[i]], summed in the order of the positions (what attend()
// returns for its probabilities).
void weighted_rows(const MatrixRM& values, std::span<const std::int32_t> positions, std::span<const float> weights,
                   Eigen::VectorXf& out);

// Causal softmax rows [row_begin, row_end) of Q K^T / sqrt(d) over keys [0, length); P is resized to
// (row_end - row_begin) x length, entries right of the diagonal are 0. With `peaks`/`sums`, also
// each row's largest scaled score and its sum of exp(score - peak) (resized to the rows).
void causal_attention_rows(const MatrixRM& queries, const MatrixRM& keys, int row_begin, int row_end,
                           int length, MatrixRM& probs, Eigen::VectorXf* peaks = nullptr,
                           Eigen::VectorXf* sums = nullptr);

// acc[j] += P(i, j) over the causal rows i in [0, length) and, per row, the keys j in
// [max(first_key, i - window + 1), i], from each row's peak and sum (causal_attention_rows'
// normalizers): only the band's scores are computed, window + 64 per row instead of i + 1. The
// probabilities equal the full rows' to float rounding (a band's exp is evaluated apart from the
// rest of its row), not bit for bit.
void banded_attention_sums(const MatrixRM& queries, const MatrixRM& keys, const Eigen::VectorXf& peaks,
                           const Eigen::VectorXf& sums, int length, int window, int first_key,
                           std::vector<float>& acc);

// Indices of the k largest scores (k clamped to size), ties to the lower index; returned ascending.
std::vector<std::int32_t> top_k(std::span<const float> scores, int k);

// Upper bound of q.k over keys whose channels lie in [lo, hi]: sum_c max(q_c hi_c, q_c lo_c)
// (Quest's page estimate; MPCache without the alpha approximation).
float channel_bound(const Eigen::VectorXf& q, const Eigen::RowVectorXf& hi, const Eigen::RowVectorXf& lo);

// MPCache's look-once observation (static eviction): the last `obs` of the first `n` prompt
// queries attend, unscaled and unmasked as the released code does, to keys [0, n); returns the
// mean over the query heads (obs x n). Query head h reads kv head h / (heads / kv_heads).
MatrixRM observation_attention(const std::vector<MatrixRM>& queries, const std::vector<MatrixRM>& keys, int n, int obs);
// Observation rows for a prompt of n tokens: `fraction` of it (half of that beyond 24K tokens,
// the released code's window), at least one.
int observation_rows(int n, double fraction);

// Positions [begin, end) as a vector.
std::vector<std::int32_t> iota_positions(int begin, int end);

}  // namespace kvsim::models::kv
