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

#include "app/kinds/kinds.h"
#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "models/serving/reference_sharding.h"

namespace kvsim::runner {
namespace {

class ReferenceShardingKind final : public Kind {
 public:
  explicit ReferenceShardingKind(std::shared_ptr<const Resources> res);
  std::string_view name() const override { return "reference-sharding"; }
  std::string_view description() const override {
    return "reference model sharded over N GPUs vs replicated; all-gather on the engine (Datarus S3)";
  }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
  scenarios::TableSchema schema_;
};

}  // namespace

using scenarios::TableSchema;

ReferenceShardingKind::ReferenceShardingKind(std::shared_ptr<const Resources> res) : res_(std::move(res)) {
  TableSchema model;
  model.string("name", "architecture in the zoo (policy and reference share it)").required();
  TableSchema ic;
  ic.string("name", "row label").required();
  ic.string("gpu", "GPU profile").required();
  ic.string("link", "link profile between GPUs").required();
  TableSchema w;
  w.numbers("gpu_counts", "N values").required().min(1);
  w.string("bandwidth", "link bandwidth used: effective (profile's achieved) or nominal (spec)")
      .defaults("effective").choices({"effective", "nominal"});
  w.integer("group_size", "G: sequences per reference forward").defaults(8).min(1);
  w.integer("sequence_tokens", "P + R tokens per sequence").defaults(5120).min(1);
  w.integer("max_group_search", "largest G tried for the memory check").defaults(512).min(1);
  schema_.table("model", "the model", std::move(model)).required();
  schema_.table_array("interconnects", "GPU and link pairs", std::move(ic)).required().min(1);
  schema_.table("workload", "the reference pass", std::move(w)).required();
}

KindOutput ReferenceShardingKind::run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const {
  const toml::table& t = point.tree;
  const models::Architecture& arch = res_->zoo().get(scenarios::get_string(t, "model.name"), where(point, "model.name"));
  const bool nominal = scenarios::get_string(t, "workload.bandwidth") == "nominal";
  const std::int64_t G = scenarios::get_integer(t, "workload.group_size");
  const std::int64_t L = scenarios::get_integer(t, "workload.sequence_tokens");
  const std::int64_t g_max = scenarios::get_integer(t, "workload.max_group_search");
  const double W = static_cast<double>(arch.weight_bytes());
  const double nan = std::nan("");
  KindOutput out;

  const toml::array& ics = *t["interconnects"].as_array();
  for (std::size_t i = 0; i < ics.size(); ++i) {
    const toml::table& ic = *ics.get(i)->as_table();
    const std::string key = "interconnects[" + std::to_string(i) + "]";
    const std::string name = scenarios::get_string(ic, "name");
    const hardware::GpuProfile gpu = res_->catalog().gpu(scenarios::get_string(ic, "gpu"), nullptr, where(point, key + ".gpu"));
    const hardware::LinkProfile link = res_->catalog().link(scenarios::get_string(ic, "link"), nullptr, where(point, key + ".link"));
    const double bw = nominal ? link.bandwidth : link.effective_bandwidth;
    auto max_group = [&](double reference_bytes) {
      return static_cast<double>(models::serving::max_group_beside(arch, gpu, L, reference_bytes, g_max));
    };
    const double g_replicated = max_group(W);
    double crossover = nan;
    for (const auto& nv : *t["workload"]["gpu_counts"].as_array()) {
      const int n = static_cast<int>(nv.value_or(1.0));
      const std::string row = name + "/N=" + std::to_string(n);
      const double shard = W / n;
      const double gather = models::serving::ring_allgather_seconds(engine, name + "/N=" + std::to_string(n), n, shard, bw, link.latency);
      const double compute = models::serving::reference_compute_seconds(arch, gpu, n, G, L);
      const double g_sharded = max_group(shard);
      out.table.push_back({row, "reference_gb_per_gpu", "GB", shard / 1e9, nan});
      out.table.push_back({row, "replicated_gb_per_gpu", "GB", W / 1e9, nan});
      out.table.push_back({row, "allgather_gb_per_gpu", "GB", W * (n - 1) / n / 1e9, nan});
      out.table.push_back({row, "allgather_s", "s", gather, nan});
      out.table.push_back({row, "reference_compute_s", "s", compute, nan});
      out.table.push_back({row, "exposed_gather_s", "s", std::max(0.0, gather - compute), nan});
      out.table.push_back({row, "max_group_replicated", "1", g_replicated, nan});
      out.table.push_back({row, "max_group_sharded", "1", g_sharded, nan});
      if (std::isnan(crossover) && n > 1 && g_sharded > g_replicated && gather <= compute) crossover = n;
    }
    // The smallest N whose sharding raises the feasible group while the gather hides behind compute.
    out.table.push_back({name + "/crossover", "crossover_n", "1", crossover, nan});
  }
  return out;
}

std::unique_ptr<Kind> reference_sharding_kind(std::shared_ptr<const Resources> res) { return std::make_unique<ReferenceShardingKind>(std::move(res)); }

}  // namespace kvsim::runner
