// protocols/sim_network.h — all parties of a computation in one process, over simulated links.
//
// Contract: a SimNetwork owns one sim::Link per pair of parties (full mesh, every link with the
// same bandwidth and one-way latency, e.g. a network preset from hardware/profiles/link) and one
// SimChannel per party. Local compute is charged from a host profile: ring multiply-adds at
// ring_mac_per_core x cores, PRG bytes at prg_bytes_per_core x cores, as an operation on the
// party's "P<i>/cpu" stream (a span on the timeline; the party waits for it, so it starts at once).
#pragma once

#include <memory>
#include <vector>

#include "hardware/profile.h"
#include "protocols/channel.h"
#include "sim/device.h"
#include "sim/engine.h"
#include "sim/link.h"

namespace kvsim::protocols {

class SimNetwork;

class SimChannel final : public Channel {
 public:
  SimChannel(SimNetwork& net, int id);
  sim::Task<void> charge_compute(double ring_macs, double prg_bytes) override;

 protected:
  void send_frame(int to, std::vector<Ring> words, std::uint64_t charged, std::string_view tag) override;
  sim::Task<std::vector<Ring>> recv_frame(int from, std::string_view tag) override;

 private:
  SimNetwork* net_;
  sim::Stream cpu_;
};

class SimNetwork {
 public:
  SimNetwork(sim::Engine& engine, int parties, const hardware::LinkProfile& link, const hardware::HostProfile& host,
             int cores_per_party = 0);
  int parties() const { return parties_; }
  Channel& channel(int party) { return *channels_[static_cast<std::size_t>(party)]; }
  sim::Engine& engine() { return *engine_; }
  // The link between a and b, and a's side (0 or 1) of it.
  sim::Link& link(int a, int b, int* side);
  const hardware::HostProfile& host() const { return host_; }
  int cores() const { return cores_; }

 private:
  sim::Engine* engine_;
  int parties_;
  hardware::HostProfile host_;
  int cores_;
  std::vector<std::unique_ptr<sim::Link>> links_;  // pair (a < b) at index a * parties + b
  std::vector<std::unique_ptr<SimChannel>> channels_;
};

}  // namespace kvsim::protocols
