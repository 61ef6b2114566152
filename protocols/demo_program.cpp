// protocols/demo_program.cpp — the transport-comparison program.
#include "protocols/demo_program.h"

#include "sim/random.h"

namespace kvsim::protocols {

std::vector<double> demo_values(std::uint64_t data_seed, int owner, const char* name, std::size_t n) {
  sim::Rng rng = sim::RandomStreams(data_seed).stream("demo/" + std::to_string(owner) + "/" + name);
  std::vector<double> v(n);
  for (auto& x : v) x = (2 * sim::uniform01(rng) - 1) * 4.0;
  return v;
}

std::string DemoResult::digest() const {
  std::vector<Ring> all = product;
  all.insert(all.end(), matmul.begin(), matmul.end());
  return digest_hex(all);
}

sim::Task<DemoResult> demo_program(Protocol& P, DemoSpec spec) {
  const MatDims d = spec.mat;
  const Shape vec{spec.n}, sa{d.batch, d.m, d.k}, sw{d.batch, d.k, d.n};
  const auto nv = static_cast<std::size_t>(spec.n);
  const bool computes = P.id() < computing_parties_of(P.family());
  RingTensor x, y, a, w;
  if (P.id() == 0) {
    x = encode(vec, demo_values(spec.data_seed, 0, "x", nv), P.frac_bits());
    a = encode(sa, demo_values(spec.data_seed, 0, "A", static_cast<std::size_t>(numel(sa))), P.frac_bits());
  }
  if (P.id() == 1) {
    y = encode(vec, demo_values(spec.data_seed, 1, "y", nv), P.frac_bits());
    w = encode(sw, demo_values(spec.data_seed, 1, "W", static_cast<std::size_t>(numel(sw))), P.frac_bits());
  }
  Share sx = co_await P.input(0, P.id() == 0 ? &x : nullptr, vec);
  Share sy = co_await P.input(1, P.id() == 1 ? &y : nullptr, vec);
  Share sa_ = co_await P.input(0, P.id() == 0 ? &a : nullptr, sa);
  Share sw_ = co_await P.input(1, P.id() == 1 ? &w : nullptr, sw);
  Share prod = co_await P.mul_fixed(sx, sy);
  Share mm = co_await P.matmul_fixed(sa_, sw_, d);
  RingTensor rp = co_await P.reveal(prod);
  RingTensor rm = co_await P.reveal(mm);
  DemoResult out;
  if (computes) {
    out.product = std::move(rp.data);
    out.matmul = std::move(rm.data);
  }
  out.stats = P.channel().stats();
  co_return out;
}

}  // namespace kvsim::protocols
