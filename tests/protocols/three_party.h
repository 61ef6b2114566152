// tests/protocols/three_party.h — running one op on three parties of a simulated network and
// checking what it declared against what the channels measured (shared by the protocol suites).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "hardware/profile.h"
#include "protocols/protocol.h"
#include "protocols/sim_network.h"
#include "sim/random.h"

namespace kvsim::protocols::testing_three_party {

inline const hardware::Catalog& catalog() {
  static const hardware::Catalog c = hardware::Catalog::load(hardware::Catalog::default_dir());
  return c;
}

inline void run3(const std::string& family, bool cost_mode, const std::function<sim::Task<void>(Protocol&)>& program) {
  sim::Engine e(5);
  SimNetwork net(e, 3, catalog().link("lan-bumblebee"), catalog().host("xeon-server"));
  std::vector<std::unique_ptr<Protocol>> ps;
  for (int p = 0; p < 3; ++p) ps.push_back(make_protocol(family, net.channel(p), 5, 18, cost_mode));
  for (int p = 0; p < 3; ++p) e.spawn(program(*ps[static_cast<std::size_t>(p)]), "P" + std::to_string(p));
  EXPECT_TRUE(e.run().parked.empty());
}

inline std::vector<double> values(std::size_t n, double lo, double hi, std::uint64_t seed) {
  sim::Rng rng = sim::RandomStreams(seed).stream("v");
  std::vector<double> v(n);
  for (auto& x : v) x = lo + (hi - lo) * sim::uniform01(rng);
  return v;
}

// Runs `op` on a shared input of party 0 and returns (revealed ring values, per-party measured costs).
struct Outcome {
  std::vector<Ring> out;
  std::vector<CommStats> cost;  // online: without the dealer's "offline" traffic
  double offline_bytes = 0;
  OpCost metered;  // what the op's primitives recorded in party 0's Meter
};

inline CommStats offline_of(const Channel& ch) {
  auto it = ch.stats_by_tag().find("offline");
  return it == ch.stats_by_tag().end() ? CommStats{} : it->second;
}
inline Outcome run_op(const std::string& family, bool cost_mode, const RingTensor& input,
               const std::function<sim::Task<Share>(Protocol&, const Share&)>& op) {
  Outcome o;
  o.cost.resize(3);
  run3(family, cost_mode, [&](Protocol& P) -> sim::Task<void> {
    Share x = co_await P.input(0, P.id() == 0 ? &input : nullptr, input.shape);
    const CommStats before = P.channel().stats(), off_before = offline_of(P.channel());
    Share y;
    {
      const auto scope = P.meter().scope("op");
      y = co_await op(P, x);
    }
    if (P.id() == 0) o.metered = P.meter().categories().at("op").declared;
    const CommStats off = offline_of(P.channel()) - off_before;
    o.cost[static_cast<std::size_t>(P.id())] = P.channel().stats() - before - off;
    o.offline_bytes += static_cast<double>(off.bytes_sent);
    RingTensor r = co_await P.reveal(y);
    if (P.id() == 0) o.out = r.data;
  });
  return o;
}

inline void expect_cost(const Outcome& o, const OpCost& c, const char* what) {
  // The Meter's record of the primitives the op ran equals the hand-derived formula ...
  // (an op that ran no primitive, e.g. a one-hot over one class, recorded nothing: zero).
  const OpCost metered = o.metered.rounds.empty() ? OpCost{{0, 0, 0}, {0, 0, 0}, 0} : o.metered;
  EXPECT_EQ(metered.rounds, c.rounds) << what;
  EXPECT_EQ(metered.bytes, c.bytes) << what;
  EXPECT_EQ(metered.offline_bytes, c.offline_bytes) << what;
  // ... and the channel's measurement.
  for (std::size_t p = 0; p < 3; ++p) {
    EXPECT_EQ(o.cost[p].rounds, static_cast<std::uint64_t>(c.rounds[p])) << what << " party " << p;
    EXPECT_EQ(static_cast<double>(o.cost[p].bytes_sent), c.bytes[p]) << what << " party " << p;
  }
  EXPECT_EQ(o.offline_bytes, c.offline_bytes) << what << " offline";
}

inline OpCost declared_of(const std::string& family, const std::function<OpCost(const Protocol&)>& f) {
  sim::Engine e;
  SimNetwork net(e, 3, catalog().link("lan-bumblebee"), catalog().host("xeon-server"));
  auto p = make_protocol(family, net.channel(0), 1);
  return f(*p);
}

}  // namespace kvsim::protocols::testing_three_party
