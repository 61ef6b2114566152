// tests/protocols/protocol_test.cpp — every family x shape: results reconstruct to the plaintext
// reference within the fixed-point bound, and the bytes and rounds the channel measures equal
// the declared cost exactly, in execute mode and in cost mode.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>

#include "hardware/profile.h"
#include "protocols/protocol.h"
#include "protocols/sim_network.h"
#include "sim/random.h"

namespace kvsim::protocols {
namespace {

const hardware::Catalog& catalog() {
  static const hardware::Catalog c = hardware::Catalog::load(hardware::Catalog::default_dir());
  return c;
}

struct Measured {
  CommStats online;
  std::uint64_t offline_bytes = 0;
};

// Runs `program` on every party of `family` over a simulated LAN; returns the virtual time.
sim::Time run_parties(const std::string& family, std::uint64_t seed, bool cost_mode,
                      const std::function<sim::Task<void>(Protocol&)>& program) {
  sim::Engine e(seed);
  SimNetwork net(e, parties_of(family), catalog().link("lan-bumblebee"), catalog().host("xeon-server"));
  std::vector<std::unique_ptr<Protocol>> ps;
  for (int p = 0; p < net.parties(); ++p) ps.push_back(make_protocol(family, net.channel(p), seed, 18, cost_mode));
  for (int p = 0; p < net.parties(); ++p) e.spawn(program(*ps[static_cast<std::size_t>(p)]), "P" + std::to_string(p));
  const sim::RunResult r = e.run();
  EXPECT_TRUE(r.parked.empty()) << "a party is stuck";
  return r.end_time;
}

Measured delta(const Channel& ch, const CommStats& before, std::uint64_t offline_before, std::uint64_t offline_rounds_before) {
  Measured m;
  auto it = ch.stats_by_tag().find("offline");
  const CommStats off = it == ch.stats_by_tag().end() ? CommStats{} : it->second;
  m.online = ch.stats() - before;
  m.online.bytes_sent -= off.bytes_sent - offline_before;
  m.online.rounds -= off.rounds - offline_rounds_before;
  m.offline_bytes = off.bytes_sent - offline_before;
  return m;
}

std::vector<double> random_values(std::uint64_t seed, std::size_t n, double scale) {
  sim::Rng rng = sim::RandomStreams(seed).stream("values");
  std::vector<double> v(n);
  for (auto& x : v) x = (2 * sim::uniform01(rng) - 1) * scale;
  return v;
}

struct Case {
  std::string family;
  bool cost_mode;
  MatDims dims;  // elementwise ops use b*m*k elements
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const Case& c = info.param;
  return c.family + (c.cost_mode ? "_cost" : "_exec") + "_b" + std::to_string(c.dims.batch) + "m" + std::to_string(c.dims.m) +
         "k" + std::to_string(c.dims.k) + "n" + std::to_string(c.dims.n);
}

class ProtocolTest : public ::testing::TestWithParam<Case> {};

TEST_P(ProtocolTest, OpsReconstructAndCostWhatTheyDeclare) {
  const Case c = GetParam();
  const MatDims d = c.dims;
  const std::int64_t na = d.batch * d.m * d.k, nb = d.batch * d.k * d.n;
  const Shape sa = {d.batch, d.m, d.k}, sb = {d.batch, d.k, d.n};
  const std::vector<double> xa = random_values(1, static_cast<std::size_t>(na), 8.0);
  const std::vector<double> xb = random_values(2, static_cast<std::size_t>(nb), 8.0);
  const std::vector<double> xa2 = random_values(3, static_cast<std::size_t>(na), 8.0);
  const RingTensor ta = encode(sa, xa), tb = encode(sb, xb), ta2 = encode(sa, xa2);
  const int parties = parties_of(c.family);

  // op name -> per party measurement
  std::map<std::string, std::vector<Measured>> measured;
  std::map<std::string, std::vector<RingTensor>> revealed;
  for (const char* op : {"input", "reveal", "mul", "matmul", "trunc", "add_public"}) measured[op].resize(static_cast<std::size_t>(parties));

  run_parties(c.family, 42, c.cost_mode, [&](Protocol& P) -> sim::Task<void> {
    Channel& ch = P.channel();
    const std::size_t me = static_cast<std::size_t>(P.id());
    auto off = [&] {
      auto it = ch.stats_by_tag().find("offline");
      return it == ch.stats_by_tag().end() ? CommStats{} : it->second;
    };
    auto measure = [&](const char* op, CommStats before, CommStats off_before) {
      measured[op][me] = delta(ch, before, off_before.bytes_sent, off_before.rounds);
    };
    CommStats b = ch.stats(), o = off();
    Share a = co_await P.input(0, P.id() == 0 ? &ta : nullptr, sa);
    measure("input", b, o);
    Share bb = co_await P.input(1, P.id() == 1 ? &tb : nullptr, sb);
    Share a2 = co_await P.input(1, P.id() == 1 ? &ta2 : nullptr, sa);

    b = ch.stats(), o = off();
    Share prod = co_await P.mul(a, a2);
    measure("mul", b, o);
    b = ch.stats(), o = off();
    Share prod_t = co_await P.trunc(prod, 18);
    measure("trunc", b, o);
    b = ch.stats(), o = off();
    Share mm = co_await P.matmul(a, bb, d);
    measure("matmul", b, o);
    Share mm_t = co_await P.trunc(mm, 18);
    b = ch.stats(), o = off();
    Share shifted = P.add_public(P.sub(P.add(a, a2), a2), ta2);  // = a + a2, all local
    measure("add_public", b, o);

    b = ch.stats(), o = off();
    RingTensor r_prod = co_await P.reveal(prod_t);
    measure("reveal", b, o);
    RingTensor r_mm = co_await P.reveal(mm_t);
    RingTensor r_lin = co_await P.reveal(P.mul_public(shifted, 3));
    if (P.id() == 0) revealed["out"] = {r_prod, r_mm, r_lin};
  });

  // Declared == measured, exactly, for every party.
  sim::Engine e0;
  SimNetwork net0(e0, parties, catalog().link("lan-bumblebee"), catalog().host("xeon-server"));
  auto decl = make_protocol(c.family, net0.channel(0), 1);
  const std::map<std::string, OpCost> declared = {
      {"input", decl->declared(Op::kInput, na)},   {"mul", decl->declared(Op::kMul, na)},
      {"trunc", decl->declared(Op::kTrunc, na)},   {"matmul", decl->declared(Op::kMatmul, 0, d)},
      {"reveal", decl->declared(Op::kReveal, na)}, {"add_public", decl->declared(Op::kLocal, na)}};
  for (const auto& [op, cost] : declared) {
    double offline = 0;
    for (int p = 0; p < parties; ++p) {
      const Measured& m = measured[op][static_cast<std::size_t>(p)];
      EXPECT_EQ(m.online.rounds, static_cast<std::uint64_t>(cost.rounds[static_cast<std::size_t>(p)])) << op << " party " << p;
      EXPECT_EQ(static_cast<double>(m.online.bytes_sent), cost.bytes[static_cast<std::size_t>(p)]) << op << " party " << p;
      offline += static_cast<double>(m.offline_bytes);
    }
    EXPECT_EQ(offline, cost.offline_bytes) << op << " offline";
  }
  if (c.cost_mode) return;

  // Reconstruction against the plaintext reference, within the fixed-point error bound:
  // one truncation of a product of 18-bit fixed-point values is off by at most 1 ulp (2^-18),
  // plus the rounding of the inputs (k terms of |x| <= 8 each off by 2^-19).
  const auto& out = revealed.at("out");
  const std::vector<double> prod = decode(out[0]);
  for (std::size_t i = 0; i < prod.size(); ++i) ASSERT_NEAR(prod[i], xa[i] * xa2[i], 4 * 8.0 * std::ldexp(1.0, -18)) << i;
  const std::vector<double> mm = decode(out[1]);
  for (std::int64_t t = 0; t < d.batch; ++t)
    for (std::int64_t i = 0; i < d.m; ++i)
      for (std::int64_t j = 0; j < d.n; ++j) {
        double ref = 0;
        for (std::int64_t p = 0; p < d.k; ++p)
          ref += xa[static_cast<std::size_t>((t * d.m + i) * d.k + p)] * xb[static_cast<std::size_t>((t * d.k + p) * d.n + j)];
        ASSERT_NEAR(mm[static_cast<std::size_t>((t * d.m + i) * d.n + j)], ref, (2.0 * 8.0 * d.k + 2) * std::ldexp(1.0, -18));
      }
  // Linear ops are exact on the ring.
  for (std::size_t i = 0; i < xa.size(); ++i)
    ASSERT_EQ(out[2].data[i], static_cast<Ring>(3) * (ta.data[i] + ta2.data[i])) << i;
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const char* f : {"aby3", "semi2k", "plaintext"})
    for (bool cost : {false, true})
      for (MatDims d : {MatDims{1, 1, 1, 1}, MatDims{1, 4, 8, 3}, MatDims{3, 5, 16, 7}}) out.push_back({f, cost, d});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Families, ProtocolTest, ::testing::ValuesIn(cases()), case_name);

TEST(Aby3Security, EachShareAloneIsUniform) {
  // Share the same secret 4096 times; any single component must look uniform: chi-square of its
  // top 4 bits over 16 buckets (15 degrees of freedom, p = 0.001 critical value 37.7).
  const RingTensor secret = encode({4096}, std::vector<double>(4096, 1.5));
  std::vector<std::vector<Ring>> seen(3);
  const Shape shape{4096};  // (outside the coroutine: GCC 12 rejects braces inside co_await)
  run_parties("aby3", 9, false, [&](Protocol& P) -> sim::Task<void> {
    Share s = co_await P.input(0, P.id() == 0 ? &secret : nullptr, shape);
    seen[static_cast<std::size_t>(P.id())] = s.s0;
  });
  for (int p = 0; p < 3; ++p) {
    std::vector<int> bucket(16, 0);
    for (Ring v : seen[static_cast<std::size_t>(p)]) bucket[v >> 60]++;
    double chi2 = 0;
    for (int b : bucket) chi2 += (b - 256.0) * (b - 256.0) / 256.0;
    EXPECT_LT(chi2, 37.7) << "party " << p;
  }
}

TEST(Aby3Security, WhatAPartyReceivesDoesNotDependOnTheSecret) {
  // Party 2's view of a multiplication of secrets x*y: the message from party 0 during the
  // reshare is masked by the zero sharing; compare its distribution for two different secrets.
  auto view = [&](double value) {
    const RingTensor secret = encode({4096}, std::vector<double>(4096, value));
    std::vector<Ring> msg;
    const Shape shape{4096};
    run_parties("aby3", 77, false, [&](Protocol& P) -> sim::Task<void> {
      Share x = co_await P.input(0, P.id() == 0 ? &secret : nullptr, shape);
      Share y = co_await P.mul(x, x);
      if (P.id() == 1) msg = y.s1;  // z_2 as received by party 1 from party 2
    });
    std::vector<int> bucket(16, 0);
    for (Ring v : msg) bucket[v >> 60]++;
    return bucket;
  };
  for (const auto& bucket : {view(0.0), view(1000.0)}) {
    double chi2 = 0;
    for (int b : bucket) chi2 += (b - 256.0) * (b - 256.0) / 256.0;
    EXPECT_LT(chi2, 37.7);
  }
}

TEST(CostMode, SevenBScaleMatmulCostsInMilliseconds) {
  // A 4096 x 11008 weight matmul on one token, shapes only: nothing is computed, the declared
  // bytes cross the simulated LAN, and virtual time is what that traffic takes.
  const MatDims d{1, 1, 4096, 11008};
  const Shape xs{1, 4096}, ws{4096, 11008};
  const sim::Time t = run_parties("aby3", 1, true, [&](Protocol& P) -> sim::Task<void> {
    Share x = co_await P.input(0, nullptr, xs);
    Share w = co_await P.input(1, nullptr, ws);
    Share y = co_await P.matmul(x, w, d);
    (void)co_await P.reveal(y);
  });
  EXPECT_GT(t, 0);
  // Input of the weights dominates: 4096 x 11008 x 8 bytes from party 1 to each other party, on
  // two links in parallel at 125 MB/s (the Bumblebee LAN).
  EXPECT_GT(sim::to_seconds(t), 4096.0 * 11008 * 8 / 125e6);
  EXPECT_LT(sim::to_seconds(t), 1.01 * 4096.0 * 11008 * 8 / 125e6 + 0.01);
}

}  // namespace
}  // namespace kvsim::protocols

namespace kvsim::protocols {
namespace {

// The channel moves a message's words to the transport without serializing them; a packed
// payload's unsent high bytes must still arrive as zeros (what a socket delivers), and whole
// words arrive untouched.
sim::Task<void> send_packed(Channel& ch, std::vector<Ring> words, std::uint64_t bytes) {
  auto out = send_to(1, std::move(words), bytes);
  auto none = recv_nothing();
  (void)co_await ch.exchange(std::move(out), std::move(none), "packed");
}
sim::Task<void> receive_one(Channel& ch, std::vector<Ring>& got) {
  auto none = send_nothing();
  auto from = recv_from(0);
  auto r = co_await ch.exchange(std::move(none), std::move(from), "packed");
  got = std::move(r.at(0));
}

TEST(Channel, PackedPayloadArrivesWithZeroHighBytesAndWholeWordsUntouched) {
  for (std::uint64_t bytes : {24u, 21u, 17u}) {
    sim::Engine e(1);
    SimNetwork net(e, 2, catalog().link("lan-bumblebee"), catalog().host("xeon-server"));
    std::vector<Ring> got;
    const std::vector<Ring> sent = {0x0123456789abcdefULL, ~Ring{0}, ~Ring{0}};
    e.spawn(send_packed(net.channel(0), sent, bytes), "P0");
    e.spawn(receive_one(net.channel(1), got), "P1");
    EXPECT_TRUE(e.run().parked.empty());
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0], sent[0]);
    EXPECT_EQ(got[1], sent[1]);
    const std::uint64_t tail = bytes % 8;
    EXPECT_EQ(got[2], tail == 0 ? ~Ring{0} : (Ring{1} << (8 * tail)) - 1) << bytes << " bytes";
    EXPECT_EQ(net.channel(0).stats().bytes_sent, bytes);
  }
}

}  // namespace
}  // namespace kvsim::protocols
