// tests/app/private_decode_kind_test.cpp — kind "private-decode"'s workload switches on the
// artifact's step (scenarios/mpcache/latency-comm-spu.toml): the budget arithmetic equals the
// fraction it stands for, the attention-only count is the sum of its categories, amortizing
// adds 1/N of the one-time work, and the argmax output costs more than revealing the logits.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/run_point.h"

namespace kvsim::runner {
namespace {

const std::string kScenario = std::string(KVSIM_SOURCE_DIR) + "/scenarios/mpcache/latency-comm-spu.toml";

std::map<std::string, double> metrics_of(const std::vector<std::string>& overrides) {
  const KindRegistry kinds = builtin_kinds();
  const auto points = scenarios::resolve(kScenario, overrides, kinds.lookup());
  EXPECT_FALSE(points.empty());
  const results::RunRecord r = run_point(points.front(), kinds, RunOptions{});
  std::map<std::string, double> out;
  for (const results::Metric& m : r.metrics) out[m.name] = m.value;
  return out;
}

TEST(PrivateDecodeKind, TheArtifactsSwitches) {
  const auto base = metrics_of({});
  // keep-times-ratio (0.3 x 0.1) is the fraction 0.03 with MPCache's static eviction keeping 0.3.
  const auto fraction = metrics_of({"workload.budget_rule=\"fraction\"", "workload.budget_fraction=0.03"});
  for (const char* m : {"full_bytes", "static_bytes", "infllm_bytes", "mpcache_bytes", "mpcache_attended"})
    EXPECT_DOUBLE_EQ(base.at(m), fraction.at(m)) << m;
  // The attention-only count: the categories of the scores, softmax, value product and selection.
  const auto attention = metrics_of({"workload.count=\"attention\""});
  for (const char* method : {"full", "mpcache"}) {
    double sum = 0;
    for (const char* cat : {"attention", "softmax", "similarity", "topk", "one_hot", "gather"}) {
      const auto it = attention.find(std::string(method) + "/" + cat + "_bytes");
      if (it != attention.end()) sum += it->second;
    }
    EXPECT_NEAR(attention.at(std::string(method) + "_bytes"), sum, 1e-9 * sum) << method;
    EXPECT_LT(attention.at(std::string(method) + "_bytes"), base.at(std::string(method) + "_bytes")) << method;
  }
  // Amortized over 100 tokens: the step plus 1/100 of the one-time work.
  const auto amortized = metrics_of({"workload.amortize_tokens=100"});
  EXPECT_NEAR(amortized.at("mpcache_bytes"), base.at("mpcache_bytes") + base.at("mpcache_once_bytes") / 100, 1e-9 * base.at("mpcache_bytes"));
  EXPECT_NEAR(amortized.at("infllm_s"), base.at("infllm_s") + base.at("infllm_once_s") / 100, 1e-9 * base.at("infllm_s"));
  // The vocabulary argmax under MPC (about 12 MB in SPU: a comparison and two selects per pair)
  // against revealing the logits.
  const auto logits = metrics_of({"workload.output=\"logits\""});
  const double argmax_mb = (base.at("full_bytes") - logits.at("full_bytes")) / 1e6;
  EXPECT_GT(argmax_mb, 10.0);
  EXPECT_LT(argmax_mb, 14.0);
}

// The sensitivity table's mechanisms (scenarios/mpcache/latency-sensitivity-spu.toml): a faster
// network leaves the rounds, which every method pays alike, so the latency reduction shrinks
// while the bytes do not change; counting attention only removes the fixed part and raises both.
TEST(PrivateDecodeKind, NetworkAndScopeMoveTheReductionsAsTheirMechanismsSay) {
  const std::vector<std::string> seq = {"workload.context=2048"};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.begin(), seq.begin(), seq.end());
    return metrics_of(more);
  };
  const auto lan1 = with({}), lan10 = with({"mpc.network=\"lan-10gbit\""});
  EXPECT_DOUBLE_EQ(lan1.at("comm_reduction"), lan10.at("comm_reduction"));
  EXPECT_DOUBLE_EQ(lan1.at("full_rounds"), lan10.at("full_rounds"));
  EXPECT_LT(lan10.at("latency_reduction"), lan1.at("latency_reduction") - 0.3);
  EXPECT_LT(lan10.at("full_s"), lan1.at("full_s") / 3);
  const auto attention = with({"workload.count=\"attention\""});
  EXPECT_GT(attention.at("comm_reduction"), 1.5 * lan1.at("comm_reduction"));
  EXPECT_GT(attention.at("latency_reduction"), lan1.at("latency_reduction"));
}

}  // namespace
}  // namespace kvsim::runner
