// bench/host_attention_bench.cpp — the host's fp32 attention throughput, as DeepSpeed-ZeRO-
// Inference computes it on the CPU for every layer of a decode step: scores = q K^T / sqrt(d) for
// each head (a GEMV over the fp32 keys), softmax over the cache, out = w V (a GEMV over the fp32
// values). Reported as bytes of K and V read per second ("bytes_per_second"), on one core and on
// every core; the host profiles' `attention_bandwidth_per_core` comes from the one-core figure
// (README "Performance" records the machine and date).
#include <benchmark/benchmark.h>

#include <Eigen/Dense>
#include <cmath>
#include <thread>
#include <vector>

namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// One head's decode attention over `tokens` cached fp32 keys and values of 128 dimensions.
struct Head {
  Matrix k, v;
  Eigen::VectorXf q, scores, out;
  explicit Head(int tokens) : k(Matrix::Random(tokens, 128)), v(Matrix::Random(tokens, 128)), q(Eigen::VectorXf::Random(128)) {}
  void attend() {
    scores.noalias() = k * q / std::sqrt(128.0f);
    const float mx = scores.maxCoeff();
    scores = (scores.array() - mx).exp();
    scores /= scores.sum();
    out.noalias() = v.transpose() * scores;
    benchmark::DoNotOptimize(out.data());
  }
  double bytes() const { return 2.0 * static_cast<double>(k.size()) * sizeof(float); }
};

// Heads per thread chosen so the working set (256 MB per thread) is far beyond the caches.
void BM_HostAttentionFp32(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const int tokens = 32768, heads_per_thread = 8;  // 8 x 2 x 32768 x 128 x 4 B = 256 MB
  std::vector<std::vector<Head>> work(static_cast<std::size_t>(threads));
  for (auto& w : work)
    for (int h = 0; h < heads_per_thread; ++h) w.emplace_back(tokens);
  double bytes = 0;
  for (auto _ : state) {
    std::vector<std::thread> pool;
    for (auto& w : work)
      pool.emplace_back([&w] {
        for (auto& h : w) h.attend();
      });
    for (auto& t : pool) t.join();
    for (const auto& w : work)
      for (const auto& h : w) bytes += h.bytes();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_HostAttentionFp32)->Arg(1)->Arg(static_cast<int>(std::thread::hardware_concurrency()))->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
