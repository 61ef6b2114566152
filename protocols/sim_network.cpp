// protocols/sim_network.cpp — channels over sim::Link, compute charged from a host profile.
#include "protocols/sim_network.h"

#include <stdexcept>

namespace kvsim::protocols {

SimNetwork::SimNetwork(sim::Engine& engine, int parties, const hardware::LinkProfile& link,
                       const hardware::HostProfile& host, int cores_per_party)
    : engine_(&engine), parties_(parties), host_(host), cores_(cores_per_party > 0 ? cores_per_party : host.cores) {
  if (parties < 2) throw std::invalid_argument("an MPC network needs at least two parties");
  links_.resize(static_cast<std::size_t>(parties * parties));
  for (int a = 0; a < parties; ++a)
    for (int b = a + 1; b < parties; ++b) {
      sim::LinkConfig cfg{link.name + "-" + std::to_string(a) + std::to_string(b), link.effective_bandwidth,
                          link.latency, 0};
      links_[static_cast<std::size_t>(a * parties + b)] =
          std::make_unique<sim::Link>(engine, cfg, "P" + std::to_string(a), "P" + std::to_string(b));
    }
  for (int p = 0; p < parties; ++p) channels_.push_back(std::make_unique<SimChannel>(*this, p));
}

sim::Link& SimNetwork::link(int a, int b, int* side) {
  if (a == b) throw std::invalid_argument("no link from a party to itself");
  *side = a < b ? 0 : 1;
  return *links_[static_cast<std::size_t>(std::min(a, b) * parties_ + std::max(a, b))];
}

SimChannel::SimChannel(SimNetwork& net, int id)
    : Channel(id, net.parties()), net_(&net), cpu_(net.engine(), "P" + std::to_string(id) + "/cpu") {}

void SimChannel::send_frame(int to, std::vector<Ring> words, std::uint64_t charged, std::string_view tag) {
  int side = 0;
  sim::Link& l = net_->link(id(), to, &side);
  sim::Message m;
  m.payload = std::move(words);
  m.charged_bytes = charged;
  if (net_->engine().timeline().keeps_spans()) m.label = tag;
  l.send(side, std::move(m));
}

sim::Task<std::vector<Ring>> SimChannel::recv_frame(int from, std::string_view) {
  int side = 0;
  sim::Link& l = net_->link(id(), from, &side);
  sim::Message m = co_await l.receive(side);
  co_return std::move(m.payload);
}

sim::Task<void> SimChannel::charge_compute(double ring_macs, double prg_bytes) {
  const hardware::HostProfile& h = net_->host();
  const double seconds = ring_macs / (h.ring_mac_per_core * net_->cores()) + prg_bytes / (h.prg_bytes_per_core * net_->cores());
  if (seconds > 0) co_await cpu_.execute(sim::from_seconds(seconds), "compute");
}

}  // namespace kvsim::protocols
