// models/speculative/math.cpp — sampling, verification, acceptance conversions.
#include "models/speculative/math.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace kvsim::models::spec {

std::vector<double> distribution(const std::vector<double>& logits, double temperature, double top_p) {
  if (logits.empty()) throw std::invalid_argument("distribution: empty logits");
  if (temperature < 0 || !(top_p > 0 && top_p <= 1)) throw std::invalid_argument("distribution: bad temperature or top_p");
  std::vector<double> p(logits.size(), 0.0);
  if (temperature == 0) {
    p[static_cast<std::size_t>(std::max_element(logits.begin(), logits.end()) - logits.begin())] = 1.0;
    return p;
  }
  const double mx = *std::max_element(logits.begin(), logits.end());
  double z = 0;
  for (std::size_t i = 0; i < p.size(); ++i) z += p[i] = std::exp((logits[i] - mx) / temperature);
  for (auto& v : p) v /= z;
  if (top_p < 1) {
    std::vector<std::size_t> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
    double mass = 0;
    std::size_t keep = 0;
    while (keep < order.size() && mass < top_p) mass += p[order[keep++]];
    std::vector<double> q(p.size(), 0.0);
    for (std::size_t i = 0; i < keep; ++i) q[order[i]] = p[order[i]] / mass;
    return q;
  }
  return p;
}

int sample(const std::vector<double>& dist, sim::Rng& rng) {
  const double u = sim::uniform01(rng);
  double acc = 0;
  int last_positive = -1;
  for (std::size_t i = 0; i < dist.size(); ++i) {
    if (dist[i] <= 0) continue;
    last_positive = static_cast<int>(i);
    acc += dist[i];
    if (u < acc) return static_cast<int>(i);
  }
  if (last_positive < 0) throw std::invalid_argument("sample: distribution has no mass");
  return last_positive;  // rounding: u beyond the accumulated sum
}

std::vector<double> residual(const std::vector<double>& p, const std::vector<double>& q) {
  if (p.size() != q.size()) throw std::invalid_argument("residual: vocabularies differ");
  std::vector<double> r(p.size());
  double z = 0;
  for (std::size_t i = 0; i < p.size(); ++i) z += r[i] = std::max(0.0, p[i] - q[i]);
  if (!(z > 0)) throw std::invalid_argument("residual: p equals q, a draft is never rejected");
  for (auto& v : r) v /= z;
  return r;
}

Verdict verify(const std::vector<double>& p, const std::vector<double>& q, int x, sim::Rng& rng) {
  const auto i = static_cast<std::size_t>(x);
  if (x < 0 || i >= p.size() || q[i] <= 0) throw std::invalid_argument("verify: the draft token has no draft probability");
  if (sim::uniform01(rng) < std::min(1.0, p[i] / q[i])) return {true, x};
  return {false, sample(residual(p, q), rng)};
}

double expected_accepted(double alpha, int gamma) {
  if (alpha >= 1) return gamma;
  return alpha * (1 - std::pow(alpha, gamma)) / (1 - alpha);
}

double per_round_rate(double alpha, int gamma) { return expected_accepted(alpha, gamma) / gamma; }

double alpha_from_per_round(double rate, int gamma) {
  if (!(rate >= 0 && rate < 1) || gamma < 1) throw std::invalid_argument("alpha_from_per_round: rate must be in [0, 1)");
  double lo = 0, hi = 1;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (per_round_rate(mid, gamma) < rate ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

double expected_tokens(double alpha, int gamma) {
  if (alpha >= 1) return gamma + 1;
  return (1 - std::pow(alpha, gamma + 1)) / (1 - alpha);
}

int simulate_round(double alpha, int gamma, sim::Rng& rng) {
  int accepted = 0;
  while (accepted < gamma && sim::uniform01(rng) < alpha) ++accepted;
  return accepted;
}

}  // namespace kvsim::models::spec
