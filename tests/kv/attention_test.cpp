// tests/kv/attention_test.cpp — the attention kernels' fast paths against the plain Eigen
// expressions they replace, bit for bit (the reproduced quality tables depend on these sums), and
// the measuring decorator's shortcut for a selection of every position.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "models/kv/attention.h"
#include "models/kv/measured.h"
#include "models/kv/policies.h"

using namespace kvsim::models::kv;

namespace {

MatrixRM random_matrix(int rows, int cols, std::mt19937& rng) {
  std::normal_distribution<float> n(0.0f, 1.0f);
  MatrixRM m(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) m(i, j) = n(rng);
  return m;
}

bool same_bits(const float* a, const float* b, Eigen::Index n) { return std::memcmp(a, b, sizeof(float) * n) == 0; }

// The square product then a masked softmax per row: the definition the chunked kernel must equal.
MatrixRM reference_causal_rows(const MatrixRM& q, const MatrixRM& k, int row_begin, int row_end, int length) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(q.cols()));
  MatrixRM p = (q.middleRows(row_begin, row_end - row_begin) * k.topRows(length).transpose()) * scale;
  for (int r = 0; r < p.rows(); ++r) {
    const int visible = std::min(length, row_begin + r + 1);
    auto row = p.row(r);
    const float peak = row.head(visible).maxCoeff();
    row.head(visible) = (row.head(visible).array() - peak).exp();
    row.head(visible) /= row.head(visible).sum();
    if (visible < length) row.tail(length - visible).setZero();
  }
  return p;
}

}  // namespace

TEST(Attention, WeightedRowsIsTheRowByRowAxpyBitForBit) {
  std::mt19937 rng(3);
  for (int d : {7, 32, 40, 64, 96}) {
    const MatrixRM v = random_matrix(300, d, rng);
    std::vector<std::int32_t> pos;
    for (int p = 0; p < 300; p += 1 + p % 3) pos.push_back(p);
    std::vector<float> w(pos.size());
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (float& x : w) x = u(rng);
    Eigen::VectorXf expected = Eigen::VectorXf::Zero(d), got;
    for (std::size_t i = 0; i < pos.size(); ++i) expected.noalias() += w[i] * v.row(pos[i]).transpose();
    weighted_rows(v, pos, w, got);
    ASSERT_EQ(got.size(), d);
    EXPECT_TRUE(same_bits(got.data(), expected.data(), d)) << "head_dim " << d;
  }
}

TEST(Attention, ChunkedCausalRowsEqualTheSquareProductBitForBit) {
  std::mt19937 rng(5);
  for (int d : {32, 64, 128}) {
    const MatrixRM q = random_matrix(300, d, rng), k = random_matrix(300, d, rng);
    for (auto [begin, end, length] : {std::array{0, 300, 300}, std::array{250, 300, 300}, std::array{10, 140, 200},
                                      std::array{299, 300, 300}, std::array{0, 63, 63}, std::array{100, 230, 150}}) {
      MatrixRM got;
      causal_attention_rows(q, k, begin, end, length, got);
      const MatrixRM expected = reference_causal_rows(q, k, begin, end, length);
      ASSERT_EQ(got.rows(), expected.rows());
      ASSERT_EQ(got.cols(), expected.cols());
      EXPECT_TRUE(same_bits(got.data(), expected.data(), got.size())) << "d " << d << ", rows " << begin << ".." << end << " of " << length;
    }
  }
}

TEST(Attention, MeasuredFullSelectionHasRecallOneAndNoErrorAndSparseMatchesDirect) {
  std::mt19937 rng(9);
  const int n = 120, d = 32;
  std::vector<MatrixRM> keys{random_matrix(n, d, rng)}, values{random_matrix(n, d, rng)};
  std::vector<Eigen::VectorXf> queries{random_matrix(1, d, rng).row(0).transpose()};
  const LayerDecode view{0, n, &queries, &keys, &values};
  // Full attention: the decorator measures it from the runtime's probabilities alone.
  auto full = make_policy("full", {});
  MeasuredPolicy measured_full(*full);
  measured_full.begin({1, 1, 1, d, n - 1});
  Selection sel(1);
  std::vector<std::vector<float>> probs(1);
  Eigen::VectorXf out;
  measured_full.select(view, sel);
  attend(queries[0], keys[0], values[0], sel[0], probs[0], out);
  measured_full.observe(view, sel, probs);
  EXPECT_NEAR(measured_full.recall_sum, 1.0, 1e-6);
  EXPECT_EQ(measured_full.error_sum, 0.0);
  // A sparse selection: recall and error as computed directly from two attends.
  auto streaming = make_policy("streaming", {{"budget", 40}});
  MeasuredPolicy measured(*streaming);
  measured.begin({1, 1, 1, d, n - 1});
  measured.select(view, sel);
  ASSERT_LT(sel[0].size(), static_cast<std::size_t>(n));
  attend(queries[0], keys[0], values[0], sel[0], probs[0], out);
  measured.observe(view, sel, probs);
  std::vector<float> all_probs;
  Eigen::VectorXf all_out;
  attend(queries[0], keys[0], values[0], iota_positions(0, n), all_probs, all_out);
  double mass = 0;
  for (int p : sel[0]) mass += all_probs[p];
  EXPECT_EQ(measured.recall_sum, mass);
  EXPECT_EQ(measured.error_sum, static_cast<double>((out - all_out).norm() / all_out.norm()));
  EXPECT_EQ(measured.samples, 1);
}
