// app/kinds/reference_sharding.cpp — kind "reference-sharding" (Datarus S3): the frozen reference model,
// sharded or replicated (models/serving/reference_sharding.h).
//
// Sharded over N GPUs, each GPU holds W/N bytes of reference weights and, before each reference
// forward, gathers the other (N-1)/N of them. The all-gather runs on the engine as a ring: N
// links, N-1 steps, each GPU forwarding the chunk it received in the previous step, so its time
// is (N-1) (latency + (W/N) / bandwidth) with the link profiles' numbers. The reference forward
// over G (P + R) tokens is split across the N GPUs (2 FLOPs per parameter per token); with
// prefetching, only the part of the gather that exceeds that compute is exposed.
#include <cmath>
#include <string>
#include <vector>

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "models/serving/reference_sharding.h"

namespace kvsim::runner {
namespace {

struct Config {
  struct Model {
    std::string name;
  } model;
  struct Interconnect {
    std::string name, gpu, link;
  };
  std::vector<Interconnect> interconnects;
  struct Workload {
    std::vector<double> gpu_counts;
    std::string bandwidth = "effective";
    std::int64_t group_size = 8, sequence_tokens = 5120, max_group_search = 512;
  } workload;
};

scenarios::Binder<Config> config_binder() {
  scenarios::Binder<Config::Model> model;
  model.bind("name", &Config::Model::name, "architecture in the zoo (policy and reference share it)").required();
  using I = Config::Interconnect;
  scenarios::Binder<I> ic;
  ic.bind("name", &I::name, "row label").required();
  ic.bind("gpu", &I::gpu, "GPU profile").required();
  ic.bind("link", &I::link, "link profile between GPUs").required();
  using W = Config::Workload;
  scenarios::Binder<W> w;
  w.bind("gpu_counts", &W::gpu_counts, "N values").required().min(1);
  w.bind("bandwidth", &W::bandwidth, "link bandwidth used: effective (profile's achieved) or nominal (spec)")
      .choices({"effective", "nominal"});
  w.bind("group_size", &W::group_size, "G: sequences per reference forward").min(1);
  w.bind("sequence_tokens", &W::sequence_tokens, "P + R tokens per sequence").min(1);
  w.bind("max_group_search", &W::max_group_search, "largest G tried for the memory check").min(1);
  scenarios::Binder<Config> b;
  b.table("model", &Config::model, "the model", model).required();
  b.table_array("interconnects", &Config::interconnects, "GPU and link pairs", ic).required().min(1);
  b.table("workload", &Config::workload, "the reference pass", w).required();
  return b;
}

class ReferenceShardingKind final : public BoundKind<Config> {
 public:
  explicit ReferenceShardingKind(std::shared_ptr<const Resources> res) : BoundKind(config_binder()), res_(std::move(res)) {}
  std::string_view name() const override { return "reference-sharding"; }
  std::string_view description() const override {
    return "reference model sharded over N GPUs vs replicated; all-gather on the engine (Datarus S3)";
  }

 protected:
  KindOutput run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
};

}  // namespace

KindOutput ReferenceShardingKind::run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const models::Architecture& arch = res_->zoo().get(c.model.name, where(point, "model.name"));
  const bool nominal = c.workload.bandwidth == "nominal";
  const std::int64_t G = c.workload.group_size, L = c.workload.sequence_tokens, g_max = c.workload.max_group_search;
  const double W = static_cast<double>(arch.weight_bytes());
  const double nan = std::nan("");
  KindOutput out;

  for (std::size_t i = 0; i < c.interconnects.size(); ++i) {
    const Config::Interconnect& ic = c.interconnects[i];
    const std::string key = "interconnects[" + std::to_string(i) + "]";
    const std::string& name = ic.name;
    const hardware::GpuProfile gpu = res_->catalog().gpu(ic.gpu, nullptr, where(point, key + ".gpu"));
    const hardware::LinkProfile link = res_->catalog().link(ic.link, nullptr, where(point, key + ".link"));
    const double bw = nominal ? link.bandwidth : link.effective_bandwidth;
    auto max_group = [&](double reference_bytes) {
      return static_cast<double>(models::serving::max_group_beside(arch, gpu, L, reference_bytes, g_max));
    };
    const double g_replicated = max_group(W);
    double crossover = nan;
    for (const double nv : c.workload.gpu_counts) {
      const int n = static_cast<int>(nv);
      const std::string row = name + "/N=" + std::to_string(n);
      const double shard = W / n;
      const models::serving::ReferencePass pass = models::serving::reference_pass(engine, row, arch, gpu, n, G, L, bw, link.latency);
      const double gather = pass.gather_s, compute = pass.compute_s;
      const double g_sharded = max_group(shard);
      out.table.push_back({row, "reference_gb_per_gpu", "GB", shard / 1e9, nan});
      out.table.push_back({row, "replicated_gb_per_gpu", "GB", W / 1e9, nan});
      out.table.push_back({row, "allgather_gb_per_gpu", "GB", W * (n - 1) / n / 1e9, nan});
      out.table.push_back({row, "allgather_s", "s", gather, nan});
      out.table.push_back({row, "reference_compute_s", "s", compute, nan});
      out.table.push_back({row, "exposed_gather_s", "s", pass.exposed_s, nan});
      out.table.push_back({row, "max_group_replicated", "1", g_replicated, nan});
      out.table.push_back({row, "max_group_sharded", "1", g_sharded, nan});
      // The same values as metrics, in SI units (the table keeps the brief's GB).
      out.metrics.push_back({row + ".reference_bytes_per_gpu", shard, "B"});
      out.metrics.push_back({row + ".allgather_bytes_per_gpu", W * (n - 1) / n, "B"});
      out.metrics.push_back({row + ".allgather_s", gather, "s"});
      out.metrics.push_back({row + ".reference_compute_s", compute, "s"});
      out.metrics.push_back({row + ".exposed_gather_s", pass.exposed_s, "s"});
      out.metrics.push_back({row + ".max_group_sharded", g_sharded, "1"});
      if (std::isnan(crossover) && n > 1 && g_sharded > g_replicated && gather <= compute) crossover = n;
    }
    // The smallest N whose sharding raises the feasible group while the gather hides behind compute.
    out.table.push_back({name + "/crossover", "crossover_n", "1", crossover, nan});
    out.metrics.push_back({name + ".replicated_bytes_per_gpu", W, "B"});
    out.metrics.push_back({name + ".max_group_replicated", g_replicated, "1"});
    out.metrics.push_back({name + ".crossover_n", crossover, "1"});
  }
  return out;
}

std::unique_ptr<Kind> reference_sharding_kind(std::shared_ptr<const Resources> res) { return std::make_unique<ReferenceShardingKind>(std::move(res)); }

}  // namespace kvsim::runner
