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
// charged from the scenario's own rates (the hardware kinds use profiles instead). An empty
// operation (no bytes to copy, no work) is not charged at all, and the per-round series are kept
// in at most `series_rounds` entries, so a run's memory does not grow with its rounds.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "sim/device.h"
#include "sim/fifo.h"
#include "sim/link.h"
#include "sim/sync.h"

namespace kvsim::runner {
namespace {

using scenarios::Dimension;

struct Config {
  struct Party {
    std::string name, device;
    const toml::table* table = nullptr;  // for the positions of its keys in errors
  };
  std::vector<Party> parties;
  struct Link {
    std::vector<std::string> between;
    double bandwidth = 0, latency = 0, overhead = 0;  // B/s, s, s
    const toml::table* table = nullptr;
  };
  std::map<std::string, Link> links;
  struct Device {
    double compute_rate = 0, copy_bandwidth = 0;  // FLOP/s, B/s
  };
  std::map<std::string, Device> devices;
  struct Workload {
    std::int64_t rounds = 10;
    double message_size = 0, flops_per_round = 0, input_per_round = 0;  // B, FLOP, B
    double size_jitter = 0.0;
    std::int64_t series_rounds = 100'000;
  } workload;
};

scenarios::Binder<Config> config_binder() {
  using P = Config::Party;
  scenarios::Binder<P> party;
  party.bind("name", &P::name, "party name, used by links").required();
  party.bind("device", &P::device, "name of the device (in [devices]) this party computes on").required();
  party.self(&P::table);
  using L = Config::Link;
  scenarios::Binder<L> link;
  link.bind("between", &L::between, "the two parties this link connects").required().min(2).max(2);
  link.quantity("bandwidth", &L::bandwidth, Dimension::kBandwidth, "", "per-direction bandwidth").required().min(0, true);
  link.quantity("latency", &L::latency, Dimension::kTime, "", "one-way propagation latency").required().min(0);
  link.quantity("overhead", &L::overhead, Dimension::kTime, "0 s", "fixed serializer time per message").min(0);
  link.self(&L::table);
  using D = Config::Device;
  scenarios::Binder<D> device;
  device.quantity("compute_rate", &D::compute_rate, Dimension::kComputeRate, "", "sustained compute rate").required().min(0, true);
  device.quantity("copy_bandwidth", &D::copy_bandwidth, Dimension::kBandwidth, "", "host-to-device copy bandwidth").required().min(0, true);
  using W = Config::Workload;
  scenarios::Binder<W> workload;
  workload.bind("rounds", &W::rounds, "number of rounds").min(1).max(10'000'000);
  workload.quantity("message_size", &W::message_size, Dimension::kData, "", "bytes each party sends to each neighbour per round")
      .required().min(0);
  workload.quantity("flops_per_round", &W::flops_per_round, Dimension::kWork, "", "work each party computes per round").required().min(0);
  workload.quantity("input_per_round", &W::input_per_round, Dimension::kData, "0 B", "bytes copied host-to-device before each round's compute")
      .min(0);
  workload.bind("size_jitter", &W::size_jitter, "relative random variation of message sizes, uniform in [-j, +j]").min(0).max(1);
  workload.bind("series_rounds", &W::series_rounds,
                "most entries of the round_end/round_time series; more rounds are grouped into equal windows")
      .min(1).max(10'000'000);
  scenarios::Binder<Config> b;
  b.table_array("parties", &Config::parties, "the parties", party).required().min(2);
  b.table_map("links", &Config::links, "named links, e.g. [links.lan]", link).required().min(1);
  b.table_map("devices", &Config::devices, "named devices, e.g. [devices.gpu0]", device).required().min(1);
  b.table("workload", &Config::workload, "what each round does", workload).required();
  return b;
}

class ExchangeKind final : public BoundKind<Config> {
 public:
  ExchangeKind() : BoundKind(config_binder()) {}
  std::string_view name() const override { return "exchange"; }
  std::string_view description() const override {
    return "parties compute on devices and exchange messages over links, round by round";
  }

 protected:
  KindOutput run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;
};

}  // namespace

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

// Round completion over all parties, folded as rounds complete. Why a small window of pending
// rounds is enough: a party cannot finish round r + 1 before each neighbour sent its round-r
// message, so connected parties drift apart by at most one round per hop (a party on no link
// runs ahead alone, and the rounds it finished first wait here for the others).
class RoundLog {
 public:
  RoundLog(std::int64_t rounds, std::size_t parties, std::int64_t series_rounds)
      : parties_(parties), stride_((rounds + series_rounds - 1) / series_rounds) {}

  void finished(std::int64_t round, sim::Time at) {
    while (first_pending_ + static_cast<std::int64_t>(pending_.size()) <= round) pending_.push_back({});
    Pending& p = pending_[static_cast<std::size_t>(round - first_pending_)];
    p.end = std::max(p.end, at);
    p.reported += 1;
    while (!pending_.empty() && pending_.front().reported == parties_) {
      complete(pending_.front().end);
      pending_.pop_front();
      ++first_pending_;
    }
  }

  // Writes the last, possibly shorter, window.
  void close() { flush(); }
  std::int64_t stride() const { return stride_; }
  sim::Duration min_round() const { return min_; }
  sim::Duration max_round() const { return max_; }
  // One entry per window of `stride` rounds (the last may be shorter): the window's last round
  // end, and the window's mean round time.
  results::Series ends{"round_end", "s", {}};
  results::Series times{"round_time", "s", {}};

 private:
  struct Pending {
    sim::Time end = 0;
    std::size_t reported = 0;
  };
  void complete(sim::Time end) {
    const sim::Duration d = end - last_end_;
    min_ = completed_ == 0 ? d : std::min(min_, d);
    max_ = std::max(max_, d);
    last_end_ = end;
    ++completed_;
    if (completed_ % stride_ == 0) flush();
  }
  void flush() {
    const std::int64_t n = completed_ - window_first_;
    if (n == 0) return;
    ends.values.push_back(sim::to_seconds(last_end_));
    times.values.push_back(sim::to_seconds(last_end_ - window_start_) / static_cast<double>(n));
    window_first_ = completed_;
    window_start_ = last_end_;
  }

  std::size_t parties_;
  std::int64_t stride_;
  sim::Fifo<Pending> pending_;
  std::int64_t first_pending_ = 0, completed_ = 0, window_first_ = 0;
  sim::Time last_end_ = 0, window_start_ = 0;
  sim::Duration min_ = 0, max_ = 0;
};

struct Shared {
  std::int64_t rounds;
  std::uint64_t message_size;
  double flops;
  double jitter;
  std::uint64_t input_bytes;
  RoundLog* log;
};

sim::Task<void> party_process(sim::Engine& e, Party& p, Shared& s, double compute_rate, double copy_bw) {
  sim::Stream& h2d = p.device->stream("h2d");
  sim::Stream& compute = p.device->stream("compute");
  const sim::Duration copy_time = sim::transfer_time(s.input_bytes, copy_bw);
  const sim::Duration compute_time = sim::from_seconds(s.flops / compute_rate);
  const bool copies = copy_time > 0 || s.input_bytes > 0;
  const bool computes = compute_time > 0;
  // Labels are read only by a kept trace; building them for every round would cost more than
  // the simulation of a message.
  const bool tracing = e.timeline().keeps_spans();
  auto label = [&](const char* what, std::int64_t r) { return tracing ? what + std::to_string(r) : std::string(); };
  sim::StreamOp next_copy{e.now(), e.now()};
  if (copies) next_copy = h2d.enqueue(copy_time, label("input r", 0), {}, s.input_bytes);
  for (std::int64_t r = 0; r < s.rounds; ++r) {
    const sim::StreamOp work = computes ? compute.enqueue(compute_time, label("compute r", r), {next_copy}) : next_copy;
    if (copies && r + 1 < s.rounds) {
      // Double buffering: the next input streams in while this round computes.
      next_copy = h2d.enqueue(copy_time, label("input r", r + 1), {}, s.input_bytes);
    }
    if (work.end > e.now()) co_await p.device->wait(work);
    for (const Endpoint& n : p.neighbours) {
      std::uint64_t size = s.message_size;
      if (s.jitter > 0) {
        const double f = 1.0 + s.jitter * (2.0 * sim::uniform01(p.rng) - 1.0);
        size = static_cast<std::uint64_t>(std::llround(static_cast<double>(size) * f));
      }
      sim::Message m;
      m.charged_bytes = size;
      if (tracing) m.label = label("msg r", r);
      n.link->send(n.side, std::move(m));
    }
    for (const Endpoint& n : p.neighbours) {
      (void)co_await n.link->receive(n.side);
    }
    s.log->finished(r, e.now());
  }
}

}  // namespace

KindOutput ExchangeKind::run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  std::vector<scenarios::Diagnostic> problems;

  // Devices.
  std::map<std::string, std::unique_ptr<sim::Device>> devices;
  std::map<std::string, std::pair<double, double>> device_rates;  // compute, copy
  for (const auto& [n, d] : c.devices) {
    devices[n] = std::make_unique<sim::Device>(engine, n, std::vector<std::string>{"compute", "h2d"});
    device_rates[n] = {d.compute_rate, d.copy_bandwidth};
  }

  // Parties.
  std::vector<std::unique_ptr<Party>> parties;
  std::map<std::string, Party*> by_name;
  for (std::size_t i = 0; i < c.parties.size(); ++i) {
    const toml::table& pt = *c.parties[i].table;
    const std::string key = "parties[" + std::to_string(i) + "]";
    auto p = std::make_unique<Party>();
    p->name = c.parties[i].name;
    const std::string& dev = c.parties[i].device;
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
  for (const auto& [n, link] : c.links) {
    const toml::table& l = *link.table;
    const std::string &a = link.between[0], &b = link.between[1];
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
    cfg.bandwidth_bytes_per_s = link.bandwidth;
    cfg.latency = sim::from_seconds(link.latency);
    cfg.per_message_overhead = sim::from_seconds(link.overhead);
    links.push_back(std::make_unique<sim::Link>(engine, cfg, a, b));
    by_name[a]->neighbours.push_back({links.back().get(), 0});
    by_name[b]->neighbours.push_back({links.back().get(), 1});
  }
  if (!problems.empty()) throw scenarios::ScenarioError(std::move(problems));

  Shared shared;
  shared.rounds = c.workload.rounds;
  shared.message_size = static_cast<std::uint64_t>(std::llround(c.workload.message_size));
  shared.flops = c.workload.flops_per_round;
  shared.input_bytes = static_cast<std::uint64_t>(std::llround(c.workload.input_per_round));
  shared.jitter = c.workload.size_jitter;
  RoundLog log(shared.rounds, parties.size(), c.workload.series_rounds);
  shared.log = &log;

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
  out.metrics.push_back({"min_round_time", sim::to_seconds(log.min_round()), "s"});
  out.metrics.push_back({"max_round_time", sim::to_seconds(log.max_round()), "s"});
  out.metrics.push_back({"series_stride", static_cast<double>(log.stride()), "1"});

  log.close();
  out.series.push_back(std::move(log.ends));
  out.series.push_back(std::move(log.times));
  return out;
}

std::unique_ptr<Kind> exchange_kind() { return std::make_unique<ExchangeKind>(); }

}  // namespace kvsim::runner
