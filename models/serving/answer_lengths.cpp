// models/serving/answer_lengths.cpp — fitting and sampling a truncated log-normal to published stats.
#include "models/serving/answer_lengths.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace kvsim::models::serving {

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double normal_quantile(double p) {
  if (!(p > 0 && p < 1)) throw std::invalid_argument("normal_quantile: p must be in (0, 1)");
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > 1 - 0.02425) {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  // One Newton step on the CDF brings the error to ~1e-15.
  const double e = normal_cdf(x) - p;
  return x - e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
}

namespace {

// Mean of a log-normal(mu, sigma) truncated to (0, cap].
double truncated_mean(double mu, double sigma, double cap) {
  const double z = (std::log(cap) - mu) / sigma;
  return std::exp(mu + sigma * sigma / 2) * normal_cdf(z - sigma) / normal_cdf(z);
}

double truncated_quantile(double mu, double sigma, double cap, double level) {
  const double z = (std::log(cap) - mu) / sigma;
  return std::exp(mu + sigma * normal_quantile(level * normal_cdf(z)));
}

double solve_mu(double sigma, double cap, double target_mean) {
  double lo = -10, hi = std::log(cap) + 10;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (truncated_mean(mid, sigma, cap) < target_mean ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

}  // namespace

std::vector<Answer> synthesize_answers(const AnswerStats& s, sim::Rng& rng) {
  if (s.samples <= 0 || s.cap <= 1 || s.mean_tokens <= 0 || s.mean_tokens >= s.cap)
    throw std::invalid_argument("answer statistics: need samples > 0 and 0 < mean < cap");
  const std::int64_t n = s.samples;
  const auto at_cap = static_cast<std::int64_t>(std::llround(s.frac_at_cap * static_cast<double>(n)));
  const std::int64_t free_n = n - at_cap;
  const double cap = s.cap - 1;  // uncapped answers end before the cap
  const double mean_free = (s.mean_tokens * static_cast<double>(n) - s.cap * static_cast<double>(at_cap)) /
                           static_cast<double>(free_n);
  if (!(mean_free > 1 && mean_free < cap)) throw std::invalid_argument("answer statistics are inconsistent (mean vs cap share)");

  // The p90 of the whole trace pins sigma unless the cap mass already covers the top 10%.
  double sigma = 1.0;
  const double level = 0.9 / (1.0 - s.frac_at_cap);
  if (level < 1.0 && s.p90_tokens < s.cap) {
    double best = 1e300;
    for (double sg = 0.05; sg <= 3.0; sg += 0.005) {
      const double mu = solve_mu(sg, cap, mean_free);
      const double err = std::fabs(truncated_quantile(mu, sg, cap, level) - s.p90_tokens);
      if (err < best) { best = err; sigma = sg; }
    }
  }
  const double mu = solve_mu(sigma, cap, mean_free);
  const double zcap = normal_cdf((std::log(cap) - mu) / sigma);

  std::vector<Answer> out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < free_n; ++i) {
    const double u = (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;  // in (0, 1)
    const double x = std::exp(mu + sigma * normal_quantile(u * zcap));
    out[static_cast<std::size_t>(i)].tokens = std::clamp<std::int64_t>(std::llround(x), 1, static_cast<std::int64_t>(cap));
  }
  for (std::int64_t i = free_n; i < n; ++i) out[static_cast<std::size_t>(i)].tokens = static_cast<std::int64_t>(s.cap);
  // Correct answers: a uniform random subset of the uncapped ones (partial Fisher-Yates).
  std::vector<std::int64_t> idx(static_cast<std::size_t>(free_n));
  std::iota(idx.begin(), idx.end(), 0);
  const auto correct = std::min<std::int64_t>(free_n, std::llround(s.pass_at_1 * static_cast<double>(n)));
  for (std::int64_t i = 0; i < correct; ++i) {
    const auto j = i + static_cast<std::int64_t>(sim::uniform_below(rng, static_cast<std::uint64_t>(free_n - i)));
    std::swap(idx[static_cast<std::size_t>(i)], idx[static_cast<std::size_t>(j)]);
    out[static_cast<std::size_t>(idx[static_cast<std::size_t>(i)])].correct = true;
  }
  return out;
}

}  // namespace kvsim::models::serving
