// tests/app/private_tcp_test.cpp — a private decode step of the small model with the three
// parties as separate `kvsim party --program private-decode` processes over TCP equals the same
// run on the simulated network: the same revealed logits (SHA-256 of the ring elements), the same
// bytes sent by every party and the same rounds. Covers MPCache with execute-mode static eviction
// (party 0's real scores) and the full cache; and the next token equals the plaintext model's.
#include <gtest/gtest.h>

#include "private_decode/prompt.h"
#include "private_decode/run.h"
#include "hardware/profile.h"
#include "models/lm/small_lm.h"
#include "protocols/ring.h"
#include "tests/support/party_processes.h"

namespace kvsim::private_decode {
namespace {

struct Case {
  std::string selection;
  int budget;
  std::string family = "aby3";
  std::string output = "logits";
  friend void PrintTo(const Case& c, std::ostream* os) { *os << c.family << " " << c.selection << " budget " << c.budget << " " << c.output; }
};

class PrivateDecodeOverTcp : public ::testing::TestWithParam<Case> {};

TEST_P(PrivateDecodeOverTcp, SameLogitsBytesAndRoundsAsTheSimulation) {
  const Case c = GetParam();
  const int context = 96;
  const std::uint64_t seed = 7;
  const models::lm::LmWeights w = models::lm::load_small_lm(models::lm::default_small_lm_path());
  models::lm::SmallLm lm(w);
  const SmallPrompt prompt = prefill_small_prompt(lm, seed, context);
  PrivateRun run;
  run.arch = private_arch(w.config);
  run.selection.method = c.selection;
  run.selection.budget = c.budget;
  run.context = context;
  run.seed = seed;
  run.family = c.family;
  run.output = c.output;
  std::vector<std::vector<std::vector<std::int32_t>>> kept;
  attach_small_prompt(run, lm, prompt, kept);  // as kvsim party does
  const hardware::Catalog cat = hardware::Catalog::load(hardware::Catalog::default_dir());
  sim::Engine engine(run.seed);
  const PrivateStep sim = run_private_decode(engine, run, cat.link("lan-bumblebee"), cat.host("xeon-server"));

  const auto tcp = kvsim::testing::run_parties(
      KVSIM_BINARY, 3,
      {"--program", "private-decode", "--protocol", c.family, "--seed", std::to_string(seed), "--context", std::to_string(context), "--selection",
       c.selection, "--budget", std::to_string(c.budget), "--output", c.output, "--timeout-ms", "60000"},
      "private_" + c.family + "_" + c.selection + "_" + c.output);
  ASSERT_EQ(sim.party_bytes.size(), 3u);
  for (std::size_t p = 0; p < tcp.size(); ++p) {
    ASSERT_EQ(tcp[p].code, 0) << tcp[p].out;
    auto kv = kvsim::testing::parse_output(tcp[p].out);
    const bool dealer = c.family == "semi2k" && p == 2;  // semi2k's dealer sees no result
    if (!dealer) {
      EXPECT_EQ(kv["logits_sha256"], protocols::digest_hex(sim.revealed)) << "party " << p;
    }
    EXPECT_EQ(kv["step_bytes_sent"], std::to_string(static_cast<std::int64_t>(sim.party_bytes[p]))) << "party " << p;
    EXPECT_EQ(kv["attended"], std::to_string(sim.attended)) << "party " << p;
    EXPECT_EQ(kv["step_declared_bytes"], kv["step_bytes_sent"]) << "party " << p;
    if (p == 0) {
      EXPECT_EQ(kv["step_rounds"], std::to_string(sim.total.rounds));
    }
  }
  // The private step picks the plaintext model's next token (full cache: the same attention).
  if (c.selection == "full") {
    models::lm::SmallLm plain = lm;
    const Eigen::VectorXf expect = plain.decode(prompt.token);
    Eigen::Index best = 0;
    expect.maxCoeff(&best);
    EXPECT_EQ(kvsim::testing::parse_output(tcp[0].out)["next_token"], std::to_string(best));
  }
}

INSTANTIATE_TEST_SUITE_P(Selections, PrivateDecodeOverTcp,
                         ::testing::Values(Case{"full", 0}, Case{"mpcache", 40}, Case{"full", 0, "semi2k"}, Case{"mpcache", 40, "semi2k"},
                                           Case{"mpcache", 40, "aby3-spu"}, Case{"full", 0, "aby3-spu", "argmax"}),
                         [](const auto& info) {
                           std::string name = info.param.family + "_" + info.param.selection + "_" + info.param.output;
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace kvsim::private_decode
