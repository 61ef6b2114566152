// tests/protocols/tcp_fault_test.cpp — network faults injected in the middle of a protocol step
// between real `kvsim party` processes (tests/support/fault_proxy.h): every party exits non-zero
// within the timeout, the party that met the fault names the peer, the step and what was wrong,
// and no party prints a result.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <tuple>

#include "tests/support/fault_proxy.h"
#include "tests/support/party_processes.h"

namespace kvsim::testing {
namespace {

constexpr int kTimeoutMs = 2000;

struct FaultCase {
  std::string family;
  FaultPlan plan;
  std::string expected;  // in the output of the party the faulty frames go to
};

// Three parties; the link between party `connector` and party 0 runs through the proxy (party 0
// listens, `connector` connects), the other links are direct.
struct FaultRun {
  std::vector<PartyRun> runs;
  bool fired = false;
  double seconds = 0;
};

FaultRun run_with_fault(const std::string& family, int connector, FaultPlan plan, const std::string& tag) {
  const std::vector<unsigned short> ports = free_ports(3);
  FaultProxy proxy(ports[0], plan);
  std::vector<unsigned short> via = ports;
  via[0] = proxy.port();
  std::vector<std::string> peers(3, peers_arg(ports));
  peers[static_cast<std::size_t>(connector)] = peers_arg(via);
  const auto start = std::chrono::steady_clock::now();
  FaultRun r;
  r.runs = run_parties_with(KVSIM_BINARY, peers,
                            {"--protocol", family, "--program", "op", "--op", "less-than", "--n", "4096", "--repeat", "3",
                             "--timeout-ms", std::to_string(kTimeoutMs)},
                            family + "_" + fault_name(plan.fault) + "_" + tag, 60);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.fired = proxy.fired();
  return r;
}

class TcpFaults : public ::testing::TestWithParam<FaultCase> {};

TEST_P(TcpFaults, EveryPartyFailsClearlyAndInTime) {
  const FaultCase& c = GetParam();
  // Party 1 and party 0 exchange shares every round in both families (semi2k's dealer, party 2,
  // derives its correlations from shared seeds and sends nothing online).
  const int connector = 1;
  const FaultRun r = run_with_fault(c.family, connector, c.plan, c.plan.toward_listener ? "up" : "down");
  ASSERT_TRUE(r.fired) << "the chosen frame never crossed the proxy";
  const int victim = c.plan.toward_listener ? 0 : connector;
  for (std::size_t p = 0; p < r.runs.size(); ++p) {
    const PartyRun& run = r.runs[p];
    EXPECT_GT(run.code, 0) << "party " << p << " must fail (not hang, not succeed):\n" << run.out;
    EXPECT_EQ(run.out.find("op_bytes_sent"), std::string::npos) << "party " << p << " printed a result:\n" << run.out;
    // Whatever a party met first, its message names itself, a peer and the step.
    EXPECT_TRUE(std::regex_search(run.out, std::regex("party [0-2]: .*party [0-2].* during '[^']+'"))) << run.out;
  }
  if (c.plan.fault == Fault::stall) {
    // A stall is seen by whichever party waits on the silent link first: the receiver, or a
    // party it was waiting on in turn (the others then see that party leave).
    std::string all;
    for (const PartyRun& run : r.runs) all += run.out;
    EXPECT_NE(all.find(c.expected), std::string::npos) << all;
  } else {
    const std::string& seen = r.runs[static_cast<std::size_t>(victim)].out;
    EXPECT_NE(seen.find(c.expected), std::string::npos) << seen;
    const std::string peer = "party " + std::to_string(c.plan.toward_listener ? connector : 0);
    EXPECT_NE(seen.find(peer), std::string::npos) << seen;
  }
  // A stall is detected by the I/O timeout, then every peer learns of it by disconnection.
  EXPECT_LT(r.seconds, 4.0 * kTimeoutMs / 1000 + 6) << "the parties took too long to give up";
}

FaultPlan at(Fault f, std::uint64_t frame, bool toward_listener = true) { return FaultPlan{f, toward_listener, frame}; }

INSTANTIATE_TEST_SUITE_P(
    Faults, TcpFaults,
    ::testing::Values(FaultCase{"semi2k", at(Fault::close, 1), "party 1 disconnected during"},
                      FaultCase{"semi2k", at(Fault::stall, 1), "did not answer within 2000 ms during"},
                      FaultCase{"semi2k", at(Fault::truncate, 1), "disconnected in the middle of a frame"},
                      FaultCase{"semi2k", at(Fault::flip, 1), "fails its CRC-32"},
                      FaultCase{"semi2k", at(Fault::duplicate, 1), "is out of sequence"},
                      FaultCase{"semi2k", at(Fault::reorder, 1), "is out of sequence"},
                      FaultCase{"aby3", at(Fault::flip, 5), "fails its CRC-32"},
                      FaultCase{"aby3", at(Fault::truncate, 3, false), "disconnected in the middle of a frame"},
                      FaultCase{"aby3", at(Fault::stall, 4, false), "did not answer within 2000 ms during"}),
    [](const ::testing::TestParamInfo<FaultCase>& info) {
      return info.param.family + "_" + fault_name(info.param.plan.fault) + (info.param.plan.toward_listener ? "_up" : "_down");
    });

// The proxy without a fault changes nothing: the run succeeds and every party prints its result.
TEST(TcpFaults, ProxyWithoutFaultIsTransparent) {
  const FaultRun r = run_with_fault("aby3", 1, FaultPlan{}, "none");
  for (std::size_t p = 0; p < r.runs.size(); ++p) {
    EXPECT_EQ(r.runs[p].code, 0) << r.runs[p].out;
    EXPECT_NE(r.runs[p].out.find("op_bytes_sent"), std::string::npos) << r.runs[p].out;
  }
}

}  // namespace
}  // namespace kvsim::testing
