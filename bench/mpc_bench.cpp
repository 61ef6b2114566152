// bench/mpc_bench.cpp — MPC in execute mode: the anchors' shapes (BM_Anchor: matmul, less-than,
// exp, equality, one-hot as MP-SPDZ was measured), elements per second of the protocol ops next
// to the plaintext Eigen equivalent, and the local kernels behind the host profile's MPC constants
// (ring multiply-adds and AES-CTR bytes per second per core). The protocol runs all three
// parties in this one process on the simulated network, so its wall time is the local work of
// all parties together plus the engine; the ratio to plaintext is what README records.
#include <benchmark/benchmark.h>

#include <Eigen/Dense>

#include <algorithm>
#include <chrono>
#include <functional>

#include "hardware/profile.h"
#include "protocols/op_program.h"
#include "protocols/protocol.h"
#include "protocols/sim_network.h"
#include "sim/random.h"

namespace kvsim::protocols {
namespace {

const hardware::Catalog& catalog() {
  static const hardware::Catalog c = hardware::Catalog::load(hardware::Catalog::default_dir());
  return c;
}

// Runs `op` on three ABY3 parties (input sharing excluded from the timing).
void run_aby3(benchmark::State& state, Shape sa, Shape sb, const std::function<sim::Task<Share>(Protocol&, const Share&, const Share&)>& op) {
  auto random_values = [](std::int64_t n, const char* name) {
    sim::Rng rng = sim::RandomStreams(7).stream(name);
    std::vector<double> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = 4 * sim::uniform01(rng) - 2;  // distinct values: QuickSelect's typical case
    return v;
  };
  const RingTensor a = encode(sa, random_values(numel(sa), "a"));
  const RingTensor b = encode(sb, random_values(numel(sb), "b"));
  for (auto _ : state) {
    state.PauseTiming();
    sim::Engine e(1);
    SimNetwork net(e, 3, catalog().link("lan-bumblebee"), catalog().host("xeon-server"));
    std::vector<std::unique_ptr<Protocol>> ps;
    std::vector<Share> xa(3), xb(3);
    for (int p = 0; p < 3; ++p) ps.push_back(make_protocol("aby3", net.channel(p), 1));
    auto share = [&](Protocol& P, Share& oa, Share& ob) -> sim::Task<void> {
      oa = co_await P.input(0, P.id() == 0 ? &a : nullptr, sa);
      ob = co_await P.input(1, P.id() == 1 ? &b : nullptr, sb);
    };
    for (int p = 0; p < 3; ++p) e.spawn(share(*ps[static_cast<std::size_t>(p)], xa[static_cast<std::size_t>(p)], xb[static_cast<std::size_t>(p)]), "in");
    e.run();
    state.ResumeTiming();
    auto body = [&](Protocol& P, const Share& x, const Share& y) -> sim::Task<void> { (void)co_await op(P, x, y); };
    for (int p = 0; p < 3; ++p) e.spawn(body(*ps[static_cast<std::size_t>(p)], xa[static_cast<std::size_t>(p)], xb[static_cast<std::size_t>(p)]), "op");
    e.run();
  }
}

void BM_Aby3Mul(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  run_aby3(state, {n}, {n}, [](Protocol& P, const Share& x, const Share& y) { return P.mul_fixed(x, y); });
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Aby3Mul)->Arg(1 << 16)->Unit(benchmark::kMillisecond);

void BM_PlainMul(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  Eigen::VectorXd a = Eigen::VectorXd::Constant(n, 0.5), b = Eigen::VectorXd::Constant(n, -1.25), c(n);
  for (auto _ : state) {
    c = a.cwiseProduct(b);
    benchmark::DoNotOptimize(c.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_PlainMul)->Arg(1 << 16);

void BM_Aby3Matmul(benchmark::State& state) {
  const std::int64_t m = state.range(0);
  run_aby3(state, {m, m}, {m, m}, [m](Protocol& P, const Share& x, const Share& y) { return P.matmul_fixed(x, y, MatDims{1, m, m, m}); });
  state.SetItemsProcessed(state.iterations() * m * m * m);  // multiply-adds
}
BENCHMARK(BM_Aby3Matmul)->Arg(128)->Unit(benchmark::kMillisecond);

void BM_PlainMatmul(benchmark::State& state) {
  const std::int64_t m = state.range(0);
  Eigen::MatrixXd a = Eigen::MatrixXd::Constant(m, m, 0.5), b = Eigen::MatrixXd::Constant(m, m, -1.25), c(m, m);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  state.SetItemsProcessed(state.iterations() * m * m * m);
}
BENCHMARK(BM_PlainMatmul)->Arg(128);

void BM_Aby3LessThan(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  run_aby3(state, {n}, {n}, [](Protocol& P, const Share& x, const Share& y) { return P.less_than(x, y); });
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Aby3LessThan)->Arg(1 << 14)->Unit(benchmark::kMillisecond);

void BM_PlainLessThan(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  Eigen::VectorXd a = Eigen::VectorXd::Constant(n, 0.5), b = Eigen::VectorXd::Constant(n, -1.25);
  Eigen::Array<bool, Eigen::Dynamic, 1> c(n);
  for (auto _ : state) {
    c = a.array() < b.array();
    benchmark::DoNotOptimize(c.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_PlainLessThan)->Arg(1 << 14);

void BM_Aby3Softmax(benchmark::State& state) {
  const std::int64_t rows = 12, cols = state.range(0);
  run_aby3(state, {rows, cols}, {rows, cols}, [=](Protocol& P, const Share& x, const Share&) { return P.softmax_rows(x, rows, cols); });
  state.SetItemsProcessed(state.iterations() * rows * cols);
}
BENCHMARK(BM_Aby3Softmax)->Arg(512)->Unit(benchmark::kMillisecond);

void BM_PlainSoftmax(benchmark::State& state) {
  const std::int64_t rows = 12, cols = state.range(0);
  Eigen::MatrixXd a = Eigen::MatrixXd::Constant(rows, cols, 0.5), out(rows, cols);
  for (auto _ : state) {
    for (std::int64_t r = 0; r < rows; ++r) {
      const double mx = a.row(r).maxCoeff();
      out.row(r) = (a.row(r).array() - mx).exp();
      out.row(r) /= out.row(r).sum();
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * rows * cols);
}
BENCHMARK(BM_PlainSoftmax)->Arg(512);

void BM_Aby3TopK(benchmark::State& state) {
  // MPCache-like: 32 heads x 512 tokens, k = 50, by the sorting network and by QuickSelect.
  const std::int64_t rows = 32, cols = 512, k = 50;
  const bool quick = state.range(0) == 1;
  run_aby3(state, {rows, cols}, {rows, cols}, [=](Protocol& P, const Share& x, const Share&) -> sim::Task<Share> {
    if (quick) {
      Protocol::QuickSelect q = co_await P.topk_quickselect(x, rows, cols, k);
      co_return q.values;
    }
    Protocol::TopK t = co_await P.topk_rows(x, rows, cols, k);
    co_return t.values;
  });
  state.SetItemsProcessed(state.iterations() * rows * cols);
  state.SetLabel(quick ? "shuffle + quickselect" : "bitonic network");
}
BENCHMARK(BM_Aby3TopK)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_PlainTopK(benchmark::State& state) {
  const std::int64_t rows = 32, cols = 512, k = 50;
  std::vector<double> v(static_cast<std::size_t>(rows * cols));
  sim::Rng rng = sim::RandomStreams(1).stream("v");
  for (auto& x : v) x = sim::uniform01(rng);
  for (auto _ : state) {
    std::vector<double> w = v;
    for (std::int64_t r = 0; r < rows; ++r)
      std::nth_element(w.begin() + r * cols, w.begin() + r * cols + k, w.begin() + (r + 1) * cols, std::greater<>());
    benchmark::DoNotOptimize(w.data());
  }
  state.SetItemsProcessed(state.iterations() * rows * cols);
}
BENCHMARK(BM_PlainTopK);

// The anchors (README's Performance, beside MP-SPDZ): one op at its published shape on the
// simulated network, all three parties in this process; the time is the op alone (inputs
// excluded), the counters the bytes each party sent per element and the rounds.
// `tools/mpc/tcp_ops.sh` runs the same program over three TCP processes.
void BM_Anchor(benchmark::State& state) {
  static const char* families[] = {"aby3", "semi2k"};
  const std::string family = families[state.range(1)];
  OpSpec spec;
  spec.op = op_names().at(static_cast<std::size_t>(state.range(0)));
  if (spec.op == "matmul") spec.n = 768;
  if (spec.op == "one-hot") spec.n = 4096;
  double bytes_per_party = 0, rounds = 0;
  for (auto _ : state) {
    sim::Engine e(1);
    SimNetwork net(e, 3, catalog().link("lan-bumblebee"), catalog().host("xeon-server"));
    std::vector<std::unique_ptr<Protocol>> ps;
    std::vector<OpResult> results(3);
    for (int p = 0; p < 3; ++p) ps.push_back(make_protocol(family, net.channel(p), 1));
    const auto t0 = std::chrono::steady_clock::now();
    const std::function<double()> clock = [t0] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    auto party = [&](Protocol& P, OpResult& out) -> sim::Task<void> { out = co_await op_program(P, spec, clock); };
    for (int p = 0; p < 3; ++p) e.spawn(party(*ps[static_cast<std::size_t>(p)], results[static_cast<std::size_t>(p)]), "P" + std::to_string(p));
    e.run();
    double slowest = 0;
    bytes_per_party = rounds = 0;
    for (const OpResult& r : results) {
      slowest = std::max(slowest, r.seconds);  // the parties interleave: each op's span covers all three
      bytes_per_party = std::max(bytes_per_party, static_cast<double>(r.op.bytes_sent + r.offline_bytes));
      rounds = std::max(rounds, static_cast<double>(r.op.rounds));
    }
    state.SetIterationTime(slowest);
  }
  const double elements = spec.op == "matmul" ? static_cast<double>(spec.m * spec.n)
                          : spec.op == "one-hot" ? static_cast<double>(spec.n * spec.classes)
                                                 : static_cast<double>(spec.n);
  state.counters["max_bytes_per_party"] = bytes_per_party;
  state.counters["bytes_per_element"] = bytes_per_party / elements;
  state.counters["rounds"] = rounds;
  state.SetLabel(family + " " + spec.op);
}
BENCHMARK(BM_Anchor)->ArgsProduct({{0, 1, 2, 3, 4}, {0, 1}})->ArgNames({"op", "family"})->UseManualTime()->Unit(benchmark::kMillisecond);

// The host profile's MPC constants: one core's 64-bit multiply-adds and AES-CTR bytes.
void BM_RingMacPerCore(benchmark::State& state) {
  const std::size_t n = 1 << 16;
  std::vector<Ring> a(n, 3), b(n, 5), c(n, 0);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) c[i] += a[i] * b[i];
    benchmark::DoNotOptimize(c.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_RingMacPerCore);

void BM_PrgBytesPerCore(benchmark::State& state) {
  Prg prg(derive_key(1, 2, 3, 4));
  std::vector<Ring> out(1 << 16);
  for (auto _ : state) {
    prg.fill(out.data(), out.size());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size() * 8));
}
BENCHMARK(BM_PrgBytesPerCore);

}  // namespace
}  // namespace kvsim::protocols
