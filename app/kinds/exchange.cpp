// app/kinds/exchange.cpp — kind "exchange": parties that compute on devices and exchange
// messages over links, round after round.
//
// The model of one round r for each party:
//   1. its input for round r is copied to its device on the "h2d" stream (double buffered: the
//      copy for round r+1 is enqueued as soon as round r's compute starts, so copy and compute
//      overlap);
//   2. compute of `flops_per_round` on the "compute" stream, after that copy;
//   3. one message to every neighbour (every link the party is on), then one message received
//      from every neighbour. Message sizes vary by ±`size_jitter` from a seeded stream per party.
// This exercises the whole path (scenario -> engine -> links/devices -> HDF5) with durations
// charged from the scenario's own rates (the hardware kinds use profiles instead).
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "sim/device.h"
#include "sim/link.h"
#include "sim/sync.h"

namespace kvsim::runner {
namespace {

class ExchangeKind final : public Kind {
 public:
  ExchangeKind();
  std::string_view name() const override { return "exchange"; }
  std::string_view description() const override {
    return "parties compute on devices and exchange messages over links, round by round";
  }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  scenarios::TableSchema schema_;
};

}  // namespace

using scenarios::Dimension;
using scenarios::TableSchema;

ExchangeKind::ExchangeKind() {
  TableSchema party;
  party.string("name", "party name, used by links").required();
  party.string("device", "name of the device (in [devices]) this party computes on").required();

  TableSchema link;
  link.strings("between", "the two parties this link connects").required().min(2).max(2);
  link.quantity("bandwidth", Dimension::kBandwidth, "per-direction bandwidth").required().min(0, true);
  link.quantity("latency", Dimension::kTime, "one-way propagation latency").required().min(0);
  link.quantity("overhead", Dimension::kTime, "fixed serializer time per message").defaults("0 s").min(0);

  TableSchema device;
  device.quantity("compute_rate", Dimension::kComputeRate, "sustained compute rate").required().min(0, true);
  device.quantity("copy_bandwidth", Dimension::kBandwidth, "host-to-device copy bandwidth").required().min(0, true);

  TableSchema workload;
  workload.integer("rounds", "number of rounds").defaults(10).min(1).max(10'000'000);
  workload.quantity("message_size", Dimension::kData, "bytes each party sends to each neighbour per round")
      .required().min(0);
  workload.quantity("flops_per_round", Dimension::kWork, "work each party computes per round").required().min(0);
  workload.quantity("input_per_round", Dimension::kData, "bytes copied host-to-device before each round's compute")
      .defaults("0 B").min(0);
  workload.number("size_jitter", "relative random variation of message sizes, uniform in [-j, +j]")
      .defaults(0.0).min(0).max(1);

  schema_.table_array("parties", "the parties", std::move(party)).required().min(2);
  schema_.table_map("links", "named links, e.g. [links.lan]", std::move(link)).required().min(1);
  schema_.table_map("devices", "named devices, e.g. [devices.gpu0]", std::move(device)).required().min(1);
  schema_.table("workload", "what each round does", std::move(workload)).required();
}

namespace {

struct Endpoint {
  sim::Link* link;
  int side;  // 0 or 1 on that link
};

struct Party {
  std::string name;
  sim::Device* device;
  std::vector<Endpoint> neighbours;
  sim::Rng rng;
};

struct Shared {
  std::int64_t rounds;
  std::uint64_t message_size;
  double flops;
  double jitter;
  std::uint64_t input_bytes;
  std::vector<sim::Time> round_end;  // latest completion of each round over all parties
};

sim::Task<void> party_process(sim::Engine& e, Party& p, Shared& s, double compute_rate, double copy_bw) {
  sim::Stream& h2d = p.device->stream("h2d");
  sim::Stream& compute = p.device->stream("compute");
  const sim::Duration copy_time = sim::transfer_time(s.input_bytes, copy_bw);
  const sim::Duration compute_time = sim::from_seconds(s.flops / compute_rate);
  sim::StreamOp next_copy = h2d.enqueue(copy_time, "input r0", {}, s.input_bytes);
  for (std::int64_t r = 0; r < s.rounds; ++r) {
    const std::string tag = "r" + std::to_string(r);
    const sim::StreamOp work = compute.enqueue(compute_time, "compute " + tag, {next_copy});
    if (r + 1 < s.rounds) {
      // Double buffering: the next input streams in while this round computes.
      next_copy = h2d.enqueue(copy_time, "input r" + std::to_string(r + 1), {}, s.input_bytes);
    }
    co_await p.device->wait(work);
    for (const Endpoint& n : p.neighbours) {
      std::uint64_t size = s.message_size;
      if (s.jitter > 0) {
        const double f = 1.0 + s.jitter * (2.0 * sim::uniform01(p.rng) - 1.0);
        size = static_cast<std::uint64_t>(std::llround(static_cast<double>(size) * f));
      }
      sim::Message m;
      m.charged_bytes = size;
      m.label = "msg " + tag;
      n.link->send(n.side, std::move(m));
    }
    for (const Endpoint& n : p.neighbours) {
      (void)co_await n.link->receive(n.side);
    }
    s.round_end[static_cast<std::size_t>(r)] = std::max(s.round_end[static_cast<std::size_t>(r)], e.now());
  }
}

}  // namespace

KindOutput ExchangeKind::run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const toml::table& t = point.tree;
  std::vector<scenarios::Diagnostic> problems;

  // Devices.
  std::map<std::string, std::unique_ptr<sim::Device>> devices;
  std::map<std::string, std::pair<double, double>> device_rates;  // compute, copy
  for (auto&& [name, node] : *t["devices"].as_table()) {
    const toml::table& d = *node.as_table();
    const std::string n(name.str());
    devices[n] = std::make_unique<sim::Device>(engine, n, std::vector<std::string>{"compute", "h2d"});
    device_rates[n] = {scenarios::get_quantity(d, "compute_rate", Dimension::kComputeRate),
                       scenarios::get_quantity(d, "copy_bandwidth", Dimension::kBandwidth)};
  }

  // Parties.
  std::vector<std::unique_ptr<Party>> parties;
  std::map<std::string, Party*> by_name;
  const toml::array& party_list = *t["parties"].as_array();
  for (std::size_t i = 0; i < party_list.size(); ++i) {
    const toml::table& pt = *party_list.get(i)->as_table();
    const std::string key = "parties[" + std::to_string(i) + "]";
    auto p = std::make_unique<Party>();
    p->name = scenarios::get_string(pt, "name");
    const std::string dev = scenarios::get_string(pt, "device");
    if (by_name.count(p->name)) {
      problems.push_back({scenarios::location_of(pt.get("name")->source(), point.file), key + ".name",
                          "party '" + p->name + "' is defined twice"});
    }
    auto it = devices.find(dev);
    if (it == devices.end()) {
      problems.push_back({scenarios::location_of(pt.get("device")->source(), point.file), key + ".device",
                          "no device '" + dev + "' in [devices]"});
    } else {
      p->device = it->second.get();
    }
    p->rng = engine.random("party/" + p->name);
    by_name[p->name] = p.get();
    parties.push_back(std::move(p));
  }

  // Links.
  std::vector<std::unique_ptr<sim::Link>> links;
  for (auto&& [name, node] : *t["links"].as_table()) {
    const toml::table& l = *node.as_table();
    const std::string n(name.str());
    const toml::array& between = *l["between"].as_array();
    const std::string a = between.get(0)->value_or(std::string());
    const std::string b = between.get(1)->value_or(std::string());
    bool ok = true;
    for (const auto& end : {a, b}) {
      if (!by_name.count(end)) {
        problems.push_back({scenarios::location_of(l.get("between")->source(), point.file),
                            "links." + n + ".between", "no party '" + end + "' in [[parties]]"});
        ok = false;
      }
    }
    if (ok && a == b) {
      problems.push_back({scenarios::location_of(l.get("between")->source(), point.file),
                          "links." + n + ".between", "a link must connect two different parties"});
      ok = false;
    }
    if (!ok) continue;
    sim::LinkConfig cfg;
    cfg.name = n;
    cfg.bandwidth_bytes_per_s = scenarios::get_quantity(l, "bandwidth", Dimension::kBandwidth);
    cfg.latency = sim::from_seconds(scenarios::get_quantity(l, "latency", Dimension::kTime));
    cfg.per_message_overhead = sim::from_seconds(scenarios::get_quantity(l, "overhead", Dimension::kTime));
    links.push_back(std::make_unique<sim::Link>(engine, cfg, a, b));
    by_name[a]->neighbours.push_back({links.back().get(), 0});
    by_name[b]->neighbours.push_back({links.back().get(), 1});
  }
  if (!problems.empty()) throw scenarios::ScenarioError(std::move(problems));

  const toml::table& w = scenarios::get_table(t, "workload");
  Shared shared;
  shared.rounds = scenarios::get_integer(w, "rounds");
  shared.message_size = static_cast<std::uint64_t>(
      std::llround(scenarios::get_quantity(w, "message_size", Dimension::kData)));
  shared.flops = scenarios::get_quantity(w, "flops_per_round", Dimension::kWork);
  shared.input_bytes = static_cast<std::uint64_t>(
      std::llround(scenarios::get_quantity(w, "input_per_round", Dimension::kData)));
  shared.jitter = scenarios::get_number(w, "size_jitter");
  shared.round_end.assign(static_cast<std::size_t>(shared.rounds), 0);

  std::vector<sim::Process> procs;
  for (auto& p : parties) {
    const auto& [compute_rate, copy_bw] = device_rates.at(p->device->name());
    procs.push_back(engine.spawn(party_process(engine, *p, shared, compute_rate, copy_bw), p->name));
  }
  const sim::RunResult rr = engine.run();
  for (const auto& proc : procs) {
    if (!proc.done()) throw std::runtime_error("party '" + proc.name() + "' never finished (deadlock)");
  }

  KindOutput out;
  const double makespan = sim::to_seconds(rr.end_time);
  out.metrics.push_back({"makespan", makespan, "s"});
  out.metrics.push_back({"rounds", static_cast<double>(shared.rounds), "1"});
  out.metrics.push_back({"mean_round_time", makespan / static_cast<double>(shared.rounds), "s"});
  std::uint64_t total_bytes = 0, total_messages = 0;
  for (const auto& l : links) {
    const std::uint64_t bytes = l->stats(0).bytes + l->stats(1).bytes;
    total_bytes += bytes;
    total_messages += l->stats(0).messages + l->stats(1).messages;
    out.metrics.push_back({"link." + l->config().name + ".bytes", static_cast<double>(bytes), "B"});
    const double busy = sim::to_seconds(std::max(l->stats(0).busy, l->stats(1).busy));
    out.metrics.push_back({"link." + l->config().name + ".utilization", makespan > 0 ? busy / makespan : 0, "1"});
  }
  out.metrics.push_back({"bytes_total", static_cast<double>(total_bytes), "B"});
  out.metrics.push_back({"messages_total", static_cast<double>(total_messages), "1"});
  for (const auto& [name, dev] : devices) {
    const double busy = sim::to_seconds(dev->stream("compute").busy());
    out.metrics.push_back({"device." + name + ".compute_utilization", makespan > 0 ? busy / makespan : 0, "1"});
  }
  out.metrics.push_back({"events", static_cast<double>(rr.events), "1"});

  results::Series ends{"round_end", "s", {}};
  results::Series lat{"round_time", "s", {}};
  sim::Time prev = 0;
  for (sim::Time te : shared.round_end) {
    ends.values.push_back(sim::to_seconds(te));
    lat.values.push_back(sim::to_seconds(te - prev));
    prev = te;
  }
  out.series.push_back(std::move(ends));
  out.series.push_back(std::move(lat));
  return out;
}

std::unique_ptr<Kind> exchange_kind() { return std::make_unique<ExchangeKind>(); }

}  // namespace kvsim::runner
