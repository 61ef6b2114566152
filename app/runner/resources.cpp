// app/runner/resources.cpp — shared profile/zoo loading and deployment tables.
#include "app/runner/resources.h"

namespace kvsim::runner {

using scenarios::TableSchema;

void Resources::load() const {
  std::call_once(once_, [this] {
    loaded_ = std::make_unique<Loaded>(Loaded{hardware::Catalog::load(hardware::Catalog::default_dir()),
                                              models::Zoo::load(models::Zoo::default_dir())});
  });
}

TableSchema deployment_schema() {
  TableSchema dep;
  dep.string("gpu", "GPU profile (kvsim list hardware)").required();
  dep.integer("gpus", "tensor-parallel GPUs").defaults(1).min(1).max(8);
  dep.string("host", "host profile").defaults("epyc-9754");
  dep.string("host_link", "link profile GPU<->host (default: the GPU profile's host_link)").defaults("");
  dep.string("peer_link", "link profile GPU<->GPU (default: the GPU profile's peer_link)").defaults("");
  dep.string("kv", "where the KV cache lives").defaults("gpu").choices({"gpu", "offload", "host-attention"});
  dep.integer("on_chip_layers", "offload: layers whose KV stays on the GPU").defaults(0).min(0);
  dep.integer("weight_layers_on_chip", "layers whose weights stay on the GPU; the rest stream from host memory (-1: all)")
      .defaults(-1).min(-1);
  dep.boolean("cuda_graphs", "kernels replayed from CUDA graphs (cheaper launches)").defaults(false);
  dep.integer("host_threads", "host-attention: cores used (0 = all)").defaults(0).min(0);
  dep.string("host_kv_dtype", "host-attention: the host KV buffer's element type (DeepSpeed allocates the default fp32)")
      .defaults("fp16").choices({"fp16", "fp32"});
  dep.string("stack", "the software stack driving the GPUs (hardware/profiles/stack)").defaults("pytorch");
  dep.table("gpu_overrides", "override fields of the GPU profile", hardware::optional_copy(hardware::gpu_schema()));
  dep.table("host_overrides", "override fields of the host profile", hardware::optional_copy(hardware::host_schema()));
  dep.table("host_link_overrides", "override fields of the host link", hardware::optional_copy(hardware::link_schema()));
  dep.table("peer_link_overrides", "override fields of the peer link", hardware::optional_copy(hardware::link_schema()));
  dep.table("stack_overrides", "override fields of the software stack (e.g. vLLM's memory_fraction)",
            hardware::optional_copy(hardware::stack_schema()));
  return dep;
}

std::string where(const scenarios::ScenarioPoint& point, std::string_view dotted_key) {
  const toml::node* n = point.tree.at_path(dotted_key).node();
  return n ? scenarios::location_of(n->source(), point.file) : point.file;
}

models::Deployment make_deployment(const Resources& res, const scenarios::ScenarioPoint& point, const toml::table& t,
                                   const std::string& key) {
  auto sub = [&](const char* k) { return key + "." + k; };
  auto overrides = [&](const char* k) -> const toml::table* {
    const toml::node* n = t.get(k);
    return n ? n->as_table() : nullptr;
  };
  const hardware::Catalog& cat = res.catalog();
  models::Deployment d;
  d.gpu = cat.gpu(scenarios::get_string(t, "gpu"), overrides("gpu_overrides"), where(point, sub("gpu")));
  d.tp = static_cast<int>(scenarios::get_integer(t, "gpus"));
  d.host = cat.host(scenarios::get_string(t, "host"), overrides("host_overrides"), where(point, sub("host")));
  const std::string host_link = scenarios::get_string(t, "host_link"), peer_link = scenarios::get_string(t, "peer_link");
  d.host_link = cat.link(host_link.empty() ? d.gpu.host_link : host_link, overrides("host_link_overrides"),
                         where(point, sub("host_link")));
  d.peer_link = cat.link(peer_link.empty() ? d.gpu.peer_link : peer_link, overrides("peer_link_overrides"),
                         where(point, sub("peer_link")));
  d.kv = models::parse_kv_placement(scenarios::get_string(t, "kv"));
  d.on_chip_layers = static_cast<int>(scenarios::get_integer(t, "on_chip_layers"));
  d.weight_layers_on_chip = static_cast<int>(scenarios::get_integer(t, "weight_layers_on_chip"));
  d.cuda_graphs = scenarios::get_bool(t, "cuda_graphs");
  d.host_threads = static_cast<int>(scenarios::get_integer(t, "host_threads"));
  d.host_kv_bytes = scenarios::get_string(t, "host_kv_dtype") == "fp32" ? 4 : 2;
  d.stack = cat.stack(scenarios::get_string(t, "stack"), overrides("stack_overrides"), where(point, sub("stack")));
  return d;
}

}  // namespace kvsim::runner
