// app/kinds/mpc_gather.cpp — kind "mpc-gather": MPCache's token-gathering comparison. Gathering k
// of T secret-selected tokens (one-hot over T, then a one-hot x table product) against gathering
// the same tokens as k / s clusters of s = T / C tokens (one-hot over C clusters, then a product
// with the cluster-packed table), for H heads of dimension d, under a protocol on a simulated
// network. The table is K and V (width 2d per token) or K only (width d: the artifact's
// operator benchmark, `one_hot(idx, T) @ K`); the one-hot's and the product's costs are reported
// apart.
#include <cmath>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "protocols/protocol.h"
#include "protocols/sim_network.h"

namespace kvsim::runner {
namespace {

struct Config {
  struct Gather {
    std::int64_t tokens = 1024, clusters = 64, selected = 128, heads = 32, head_dim = 32;
    std::string table = "kv";
  } gather;
  struct Mpc {
    std::string family = "aby3", network = "lan-bumblebee", host = "xeon-server";
  } mpc;
  std::string row;
};

scenarios::Binder<Config> config_binder() {
  using G = Config::Gather;
  scenarios::Binder<G> g;
  g.bind("tokens", &G::tokens, "T: tokens in the cache").min(2);
  g.bind("clusters", &G::clusters, "C: clusters the cache is cut into (cluster size T / C)").min(1);
  g.bind("selected", &G::selected, "k: tokens gathered per head").min(1);
  g.bind("heads", &G::heads, "H").min(1);
  g.bind("head_dim", &G::head_dim, "d").min(1);
  g.bind("table", &G::table, "what is gathered: kv (K and V, 2d per token) or k (K only, d per token: the artifact's benchmark)")
      .choices({"kv", "k"});
  scenarios::Binder<Config::Mpc> mpc;
  mpc.bind("family", &Config::Mpc::family, "aby3, aby3-spu or semi2k").choices({"aby3", "aby3-spu", "semi2k"});
  mpc.bind("network", &Config::Mpc::network, "link profile");
  mpc.bind("host", &Config::Mpc::host, "host profile");
  scenarios::Binder<Config> b;
  b.table("gather", &Config::gather, "the gathering shapes (operator micro-benchmark defaults of MPCache: H 32, d 32)", g);
  b.table("mpc", &Config::mpc, "protocol and network", mpc);
  b.bind("row", &Config::row, "table row");
  return b;
}

class GatherKind final : public BoundKind<Config> {
 public:
  explicit GatherKind(std::shared_ptr<const Resources> res) : BoundKind(config_binder()), res_(std::move(res)) {}
  std::string_view name() const override { return "mpc-gather"; }
  std::string_view description() const override { return "token-level vs cluster-level one-hot gathering under MPC"; }

 protected:
  KindOutput run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
};

}  // namespace

namespace {

struct Measured {
  double seconds = 0, bytes = 0;
  double onehot_seconds = 0, onehot_bytes = 0;  // the one-hot's part of the above
};

// One-hot over `classes` for (heads x picks) secret indices, then (heads, picks, classes) x
// (heads, classes, width): the gather as MPC runs it.
// Runs on `e` (the point's engine) from its current time; the parties' seeds come from `seed`.
Measured gather_cost(sim::Engine& e, std::uint64_t seed, const hardware::LinkProfile& link, const hardware::HostProfile& host,
                     const std::string& family, std::int64_t heads, std::int64_t picks, std::int64_t classes, std::int64_t width) {
  const sim::Time start = e.now();
  protocols::SimNetwork net(e, protocols::parties_of(family), link, host);
  std::vector<std::unique_ptr<protocols::Protocol>> ps;
  for (int p = 0; p < net.parties(); ++p)
    ps.push_back(protocols::make_protocol(family, net.channel(p), seed, protocols::kDefaultFracBits, true));
  std::vector<double> onehot_bytes(static_cast<std::size_t>(net.parties()), 0.0);
  sim::Time onehot_done = start;
  auto party = [&](protocols::Protocol& P) -> sim::Task<void> {
    const protocols::Share idx = protocols::shape_only(protocols::Shape{heads * picks});
    const protocols::Share table = protocols::shape_only(protocols::Shape{heads, classes, width});
    protocols::Share hot = co_await P.one_hot(idx, classes);
    onehot_bytes[static_cast<std::size_t>(P.id())] = static_cast<double>(P.channel().stats().bytes_sent);
    if (P.id() == 0) onehot_done = e.now();
    protocols::Share out = co_await P.matmul(hot, table, protocols::MatDims{heads, picks, classes, width});
    (void)out;
  };
  for (auto& p : ps) e.spawn(party(*p), "P" + std::to_string(p->id()));
  const sim::RunResult r = e.run();
  if (!r.parked.empty()) throw std::logic_error("mpc-gather: a party is stuck");
  Measured m;
  m.seconds = sim::to_seconds(e.now() - start);
  m.onehot_seconds = sim::to_seconds(onehot_done - start);
  for (int p = 0; p < net.parties(); ++p) {
    m.bytes += static_cast<double>(net.channel(p).stats().bytes_sent);
    m.onehot_bytes += onehot_bytes[static_cast<std::size_t>(p)];
  }
  return m;
}

}  // namespace

KindOutput GatherKind::run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const std::int64_t T = c.gather.tokens, C = c.gather.clusters, k = c.gather.selected, H = c.gather.heads, d = c.gather.head_dim;
  if (T % C != 0) throw scenarios::ScenarioError({{where(point, "gather.clusters"), "gather.clusters", "must divide gather.tokens"}});
  const std::int64_t s = T / C;
  if (k > T) throw scenarios::ScenarioError({{where(point, "gather.selected"), "gather.selected", "more than gather.tokens"}});
  const auto& cat = res_->catalog();
  const auto& link = cat.link(c.mpc.network);
  const auto& host = cat.host(c.mpc.host);
  const std::string& family = c.mpc.family;
  // K and V rows together: width 2d per token, 2 d s per cluster (K only: d and d s).
  const std::int64_t per_token = c.gather.table == "k" ? d : 2 * d;
  const Measured tok = gather_cost(engine, point.seed(), link, host, family, H, k, T, per_token);
  const std::int64_t picks = std::max<std::int64_t>(1, (k + s - 1) / s);
  const Measured clu = gather_cost(engine, point.seed(), link, host, family, H, picks, C, per_token * s);
  KindOutput out;
  const double lat = tok.seconds / clu.seconds, comm = tok.bytes / clu.bytes;
  out.metrics = {{"token_s", tok.seconds, "s"},
                 {"token_bytes", tok.bytes, "B"},
                 {"token_onehot_bytes", tok.onehot_bytes, "B"},
                 {"token_product_bytes", tok.bytes - tok.onehot_bytes, "B"},
                 {"token_onehot_s", tok.onehot_seconds, "s"},
                 {"cluster_s", clu.seconds, "s"},
                 {"cluster_bytes", clu.bytes, "B"},
                 {"cluster_onehot_bytes", clu.onehot_bytes, "B"},
                 {"cluster_product_bytes", clu.bytes - clu.onehot_bytes, "B"},
                 {"cluster_onehot_s", clu.onehot_seconds, "s"},
                 {"latency_reduction", lat, "1"},
                 {"comm_reduction", comm, "1"}};
  const std::string& row = c.row;
  if (!row.empty()) {
    const double nan = std::nan("");
    out.table = {{row, "token_onehot_mb", "MB", tok.onehot_bytes / 1e6, nan},
                 {row, "token_product_mb", "MB", (tok.bytes - tok.onehot_bytes) / 1e6, nan},
                 {row, "cluster_onehot_mb", "MB", clu.onehot_bytes / 1e6, nan},
                 {row, "cluster_product_mb", "MB", (clu.bytes - clu.onehot_bytes) / 1e6, nan},
                 {row, "latency_reduction", "1", lat, nan},
                 {row, "comm_reduction", "1", comm, nan}};
  }
  return out;
}

std::unique_ptr<Kind> mpc_gather_kind(std::shared_ptr<const Resources> res) { return std::make_unique<GatherKind>(std::move(res)); }

}  // namespace kvsim::runner
