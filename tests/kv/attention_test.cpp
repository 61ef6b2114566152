// tests/kv/attention_test.cpp — the attention kernels' fast paths against the plain Eigen
// expressions they replace, bit for bit where they promise it (the reproduced quality tables depend
// on these sums) and to float rounding where they say so; the prefill's own softmax offered to
// policies (PrefillAttention) against their recomputation; the measuring decorator's shortcut for a
// selection of every position.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
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

TEST(Attention, ContiguousAttendEqualsTheGatherToFloatRounding) {
  std::mt19937 rng(13);
  const int n = 300, d = 32;
  const MatrixRM k = random_matrix(n, d, rng), v = random_matrix(n, d, rng);
  const Eigen::VectorXf q = random_matrix(1, d, rng).row(0).transpose();
  std::vector<float> fast, gathered;
  Eigen::VectorXf fast_out, gathered_out;
  attend(q, k, v, iota_positions(0, n), fast, fast_out);
  // Against the softmax computed here, per position, in double.
  const std::vector<std::int32_t> all = iota_positions(0, n);
  std::vector<float> scores(n);
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  for (int i = 0; i < n; ++i) scores[i] = k.row(i).dot(q) * scale;
  const float peak = *std::max_element(scores.begin(), scores.end());
  double total = 0;
  for (float s : scores) total += std::exp(s - peak);
  for (int i = 0; i < n; ++i) EXPECT_NEAR(fast[i], std::exp(scores[i] - peak) / total, 1e-6f) << i;
  // A non-prefix selection takes the gather path; its probabilities are the same softmax.
  std::vector<std::int32_t> tail = iota_positions(1, n);
  attend(q, k, v, tail, gathered, gathered_out);
  double tail_total = 0;
  for (int i = 1; i < n; ++i) tail_total += std::exp(scores[i] - peak);
  for (int i = 1; i < n; ++i) EXPECT_NEAR(gathered[i - 1], std::exp(scores[i] - peak) / tail_total, 1e-6f) << i;
  Eigen::VectorXf expected;
  weighted_rows(v, all, fast, expected);
  EXPECT_TRUE(same_bits(fast_out.data(), expected.data(), d));
}

TEST(Attention, BandedSumsEqualTheFullRowsBand) {
  std::mt19937 rng(17);
  const int n = 333, d = 32;
  const MatrixRM q = random_matrix(n, d, rng), k = random_matrix(n, d, rng);
  MatrixRM probs;
  Eigen::VectorXf peaks, sums;
  causal_attention_rows(q, k, 0, n, n, probs, &peaks, &sums);
  for (auto [window, first_key] : {std::array{1, 0}, std::array{50, 4}, std::array{64, 0}, std::array{200, 130}, std::array{500, 2}}) {
    std::vector<float> expected(n, 0.0f), got(n, 0.0f);
    for (int i = 0; i < n; ++i)
      for (int j = std::max(first_key, i - window + 1); j <= i; ++j) expected[j] += probs(i, j);
    banded_attention_sums(q, k, peaks, sums, n, window, first_key, got);
    for (int j = 0; j < n; ++j) EXPECT_NEAR(got[j], expected[j], 1e-5f * std::max(1.0f, expected[j])) << "window " << window << ", key " << j;
  }
  // The normalizers are the rows' own: exp(score - peak) / sum reproduces each probability.
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  EXPECT_NEAR(std::exp(q.row(200).dot(k.row(17)) * scale - peaks[200]) / sums[200], probs(200, 17), 1e-6f);
}

// A policy handed the prefill's own softmax keeps what it keeps when it recomputes: H2O's column
// sums bit for bit, InfLLM's band to float rounding (the same blocks on random data).
TEST(Attention, PoliciesGivenThePrefillsSoftmaxChooseAsWhenTheyRecompute) {
  std::mt19937 rng(19);
  const int n = 400, d = 32, heads = 4, kv_heads = 2;
  std::vector<MatrixRM> q, k, v;
  for (int h = 0; h < heads; ++h) q.push_back(random_matrix(n, d, rng));
  for (int h = 0; h < kv_heads; ++h) k.push_back(random_matrix(n + 8, d, rng)), v.push_back(random_matrix(n + 8, d, rng));
  PrefillAttention att;
  att.column_sums.assign(kv_heads, std::vector<float>(n, 0.0f));
  att.row_peak.resize(heads);
  att.row_sum.resize(heads);
  for (int h = 0; h < heads; ++h) {
    MatrixRM probs;
    causal_attention_rows(q[h], k[h / 2], 0, n, n, probs, &att.row_peak[h], &att.row_sum[h]);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j <= i; ++j) att.column_sums[h / 2][j] += probs(i, j);
  }
  for (const char* name : {"h2o", "infllm", "mpcache"}) {
    auto given = make_policy(name, {{"budget", 128}}), recomputed = make_policy(name, {{"budget", 128}});
    const PolicyShape shape{1, heads, kv_heads, d, n};
    given->begin(shape);
    recomputed->begin(shape);
    given->prefill({0, n, &q, &k, &v, &att});
    recomputed->prefill({0, n, &q, &k, &v});
    EXPECT_EQ(given->prefill_work().score_macs, recomputed->prefill_work().score_macs) << name;
    EXPECT_EQ(given->prefill_work().accumulations, recomputed->prefill_work().accumulations) << name;
    // The first decode step's selections.
    std::vector<Eigen::VectorXf> step_q;
    for (int h = 0; h < heads; ++h) step_q.push_back(random_matrix(1, d, rng).row(0).transpose());
    Selection a(heads), b(heads);
    given->select({0, n + 1, &step_q, &k, &v}, a);
    recomputed->select({0, n + 1, &step_q, &k, &v}, b);
    EXPECT_EQ(a, b) << name;
  }
}

TEST(Attention, PrefillMemoComputesOncePerKey) {
  PrefillMemo memo;
  int calls = 0;
  const auto first = memo.get<int>("a", [&] { return ++calls; });
  const auto again = memo.get<int>("a", [&] { return ++calls; });
  const auto other = memo.get<int>("b", [&] { return ++calls + 10; });
  EXPECT_EQ(*first, 1);
  EXPECT_EQ(again.get(), first.get());
  EXPECT_EQ(*other, 12);
  EXPECT_EQ(calls, 2);
}
