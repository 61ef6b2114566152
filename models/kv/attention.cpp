// models/kv/attention.cpp — see attention.h.
#include "models/kv/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace kvsim::models::kv {

void attend(const Eigen::VectorXf& q, const MatrixRM& keys, const MatrixRM& values,
            std::span<const std::int32_t> positions, std::vector<float>& probs, Eigen::VectorXf& out) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(q.size()));
  const std::size_t n = positions.size();
  probs.resize(n);
  // The whole prefix 0..n-1 (a full cache, or the reference a measurement compares with): one
  // matrix-vector product and a vectorized softmax, equal to the gather's to float rounding.
  std::size_t run = 0;
  while (run < n && positions[run] == static_cast<std::int32_t>(run)) ++run;
  if (n > 0 && run == n) {
    Eigen::Map<Eigen::VectorXf> p(probs.data(), static_cast<Eigen::Index>(n));
    p.noalias() = keys.topRows(static_cast<Eigen::Index>(n)) * q;
    p *= scale;
    const float top = p.maxCoeff();
    p = (p.array() - top).exp();
    p /= p.sum();
    weighted_rows(values, positions, probs, out);
    return;
  }
  float peak = -std::numeric_limits<float>::infinity();
  for (std::size_t i = 0; i < n; ++i) {
    probs[i] = keys.row(positions[i]).dot(q) * scale;
    peak = std::max(peak, probs[i]);
  }
  float total = 0.0f;
  for (float& p : probs) {
    p = std::exp(p - peak);
    total += p;
  }
  // Why a loop of its own: divisions that do not wait on the accumulation below vectorize.
  for (float& p : probs) p /= total;
  weighted_rows(values, positions, probs, out);
}

void weighted_rows(const MatrixRM& values, std::span<const std::int32_t> positions, std::span<const float> weights,
                   Eigen::VectorXf& out) {
  const int d = static_cast<int>(values.cols());
  out.setZero(d);
  // Columns in tiles of 32 held in registers across all rows; each output is still
  // 0 + w_0 v_0 + w_1 v_1 + ... in row order, the same sum as one axpy per row.
  constexpr int kTile = 32;
  int c = 0;
  for (; c + kTile <= d; c += kTile) {
    using Tile = Eigen::Matrix<float, kTile, 1>;
    Tile acc = Tile::Zero();
    for (std::size_t i = 0; i < positions.size(); ++i)
      acc.noalias() += weights[i] * Eigen::Map<const Tile, Eigen::Unaligned>(values.row(positions[i]).data() + c);
    out.segment<kTile>(c) = acc;
  }
  if (c < d)
    for (std::size_t i = 0; i < positions.size(); ++i)
      out.tail(d - c).noalias() += weights[i] * values.row(positions[i]).tail(d - c).transpose();
}

void causal_attention_rows(const MatrixRM& queries, const MatrixRM& keys, int row_begin, int row_end,
                           int length, MatrixRM& probs, Eigen::VectorXf* peaks, Eigen::VectorXf* sums) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(queries.cols()));
  probs.resize(row_end - row_begin, length);
  if (peaks) peaks->resize(row_end - row_begin);
  if (sums) sums->resize(row_end - row_begin);
  // Rows in chunks, each multiplied only by the keys its last row can see, so the product covers
  // the causal triangle rather than the square. Why the figures do not move: the inner dimension
  // (head_dim, 32-128) lies far below Eigen's depth block (hundreds), so it is never split and
  // every score is the same in-order sum whatever the chunk (tests/kv/attention_test.cpp).
  constexpr int kChunk = 64;
  for (int a = row_begin; a < row_end; a += kChunk) {
    const int b = std::min(row_end, a + kChunk), cols = std::min(length, b);
    probs.block(a - row_begin, 0, b - a, cols).noalias() = (queries.middleRows(a, b - a) * keys.topRows(cols).transpose()) * scale;
  }
  // Entries right of a chunk's columns are not read before the loop below zeroes each row's tail.
  for (int r = 0; r < probs.rows(); ++r) {
    const int visible = std::min(length, row_begin + r + 1);
    auto row = probs.row(r);
    const float peak = row.head(visible).maxCoeff();
    row.head(visible) = (row.head(visible).array() - peak).exp();
    const float sum = row.head(visible).sum();
    row.head(visible) /= sum;
    if (visible < length) row.tail(length - visible).setZero();
    if (peaks) (*peaks)[r] = peak;
    if (sums) (*sums)[r] = sum;
  }
}

void banded_attention_sums(const MatrixRM& queries, const MatrixRM& keys, const Eigen::VectorXf& peaks,
                           const Eigen::VectorXf& sums, int length, int window, int first_key,
                           std::vector<float>& acc) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(queries.cols()));
  constexpr int kChunk = 64;  // as causal_attention_rows: a chunk's scores are the same sums
  MatrixRM scores;
  for (int a = 0; a < length; a += kChunk) {
    const int b = std::min(length, a + kChunk);
    const int c0 = std::max(0, std::max(first_key, a - window + 1));
    if (c0 >= b) continue;
    scores.noalias() = (queries.middleRows(a, b - a) * keys.middleRows(c0, b - c0).transpose()) * scale;
    for (int i = a; i < b; ++i) {
      const int lo = std::max({first_key, i - window + 1, c0});
      if (lo > i) continue;
      Eigen::Map<Eigen::Array<float, 1, Eigen::Dynamic>> band(acc.data() + lo, i - lo + 1);
      band += (scores.row(i - a).segment(lo - c0, i - lo + 1).array() - peaks[i]).exp() / sums[i];
    }
  }
}

std::vector<std::int32_t> top_k(std::span<const float> scores, int k) {
  const int n = static_cast<int>(scores.size());
  k = std::clamp(k, 0, n);
  std::vector<std::int32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  auto better = [&](std::int32_t a, std::int32_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); };
  std::nth_element(idx.begin(), idx.begin() + k, idx.end(), better);
  idx.resize(k);
  std::sort(idx.begin(), idx.end());
  return idx;
}

float channel_bound(const Eigen::VectorXf& q, const Eigen::RowVectorXf& hi, const Eigen::RowVectorXf& lo) {
  float u = 0.0f;
  for (Eigen::Index c = 0; c < q.size(); ++c) u += std::max(q[c] * hi[c], q[c] * lo[c]);
  return u;
}

std::vector<std::int32_t> iota_positions(int begin, int end) {
  std::vector<std::int32_t> v(std::max(0, end - begin));
  std::iota(v.begin(), v.end(), begin);
  return v;
}

MatrixRM observation_attention(const std::vector<MatrixRM>& queries, const std::vector<MatrixRM>& keys, int n, int obs) {
  const int heads = static_cast<int>(queries.size()), group = heads / static_cast<int>(keys.size());
  MatrixRM mean = MatrixRM::Zero(obs, n);
  for (int qh = 0; qh < heads; ++qh) {
    MatrixRM s = queries[static_cast<std::size_t>(qh)].middleRows(n - obs, obs) *
                 keys[static_cast<std::size_t>(qh / group)].topRows(n).transpose();
    for (int r = 0; r < obs; ++r) {
      auto row = s.row(r);
      row = (row.array() - row.maxCoeff()).exp();
      row /= row.sum();
    }
    mean += s / static_cast<float>(heads);
  }
  return mean;
}

int observation_rows(int n, double fraction) {
  const double frac = n > 24000 ? fraction / 2 : fraction;
  return std::max(1, static_cast<int>(frac * n));
}

}  // namespace kvsim::models::kv
