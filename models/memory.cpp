// models/memory.cpp — memory accounting per GPU rank and on the host.
#include "models/memory.h"

#include <algorithm>
#include <cstdio>

namespace kvsim::models {

double weight_bytes_per_rank(const Architecture& a, int tp) {
  const double replicated = static_cast<double>(a.embedding_params() + a.lm_head_params() + a.hidden);
  const double sharded = static_cast<double>(a.layers * a.layer_params());
  return (replicated + sharded / tp) * a.dtype_bytes;
}

double gpu_capacity(const Deployment& dep) { return dep.gpu.usable_memory_bytes * dep.stack.memory_fraction; }

std::int64_t kv_slots(const Deployment& dep, std::int64_t tokens) {
  const std::int64_t b = std::max(1, dep.stack.kv_block_tokens);
  return (tokens + b - 1) / b * b;
}

MemoryPlan plan_memory(const Architecture& a, const Deployment& d, const StepShape& s,
                       const std::vector<MemoryItem>& extra) {
  MemoryPlan m;
  const double t = d.tp;
  const double kv_layer = static_cast<double>(a.kv_bytes_per_token_per_layer()) / t;  // per rank
  const double tokens = static_cast<double>(s.batch) * static_cast<double>(kv_slots(d, s.cached + s.q));
  const double layer_w = static_cast<double>(a.layer_params()) / t * a.dtype_bytes;
  const int w_on = d.weight_layers_on_chip < 0 ? static_cast<int>(a.layers)
                                                : std::min<int>(d.weight_layers_on_chip, static_cast<int>(a.layers));
  const double offloaded_w = (a.layers - w_on) * layer_w;
  m.gpu_items.push_back({"weights", weight_bytes_per_rank(a, d.tp) - offloaded_w});
  if (w_on < a.layers) m.gpu_items.push_back({"weight_offload_buffers", 2 * layer_w});
  m.host_weights = offloaded_w * t;
  switch (d.kv) {
    case KvPlacement::kGpu:
      m.gpu_items.push_back({"kv_cache", a.layers * tokens * kv_layer});
      break;
    case KvPlacement::kOffload: {
      const int on_chip = std::min<int>(d.on_chip_layers, static_cast<int>(a.layers));
      m.gpu_items.push_back({"kv_cache_on_chip", on_chip * tokens * kv_layer});
      if (on_chip < a.layers) m.gpu_items.push_back({"kv_offload_buffers", 2 * tokens * kv_layer});
      m.host_kv = (a.layers - on_chip) * tokens * kv_layer * t;
      break;
    }
    case KvPlacement::kHostAttention:
      m.host_kv = a.layers * tokens * kv_layer * t;
      break;
  }
  for (const auto& e : extra) m.gpu_items.push_back(e);
  const double n = static_cast<double>(s.batch * s.q), dt = a.dtype_bytes;
  const double act = n * (4.0 * a.hidden + (a.heads + 2.0 * a.kv_heads) * a.head_dim / t + 3.0 * a.ffn / t) * dt;
  m.gpu_items.push_back({"activations", act});
  m.gpu_items.push_back({"logits_fp32", n * a.vocab * 4.0});
  for (const auto& it : m.gpu_items) m.gpu_total += it.bytes;
  m.gpu_capacity = gpu_capacity(d);
  m.host_capacity = d.host.memory_bytes;
  return m;
}

std::string MemoryPlan::describe() const {
  std::string out;
  char buf[160];
  for (const auto& it : gpu_items) {
    std::snprintf(buf, sizeof buf, "  %-22s %10.3f GiB\n", it.name.c_str(), it.bytes / (1024.0 * 1024 * 1024));
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "  %-22s %10.3f GiB of %.3f GiB usable per GPU: %s\n", "total", gpu_total / (1024.0 * 1024 * 1024),
                gpu_capacity / (1024.0 * 1024 * 1024), gpu_fits() ? "fits" : "DOES NOT FIT");
  out += buf;
  if (host_weights > 0) {
    std::snprintf(buf, sizeof buf, "  %-22s %10.3f GiB on the host\n", "host_weights", host_weights / (1024.0 * 1024 * 1024));
    out += buf;
  }
  if (host_kv > 0) {
    std::snprintf(buf, sizeof buf, "  %-22s %10.3f GiB of %.3f GiB host memory: %s\n", "host_kv",
                  host_kv / (1024.0 * 1024 * 1024), host_capacity / (1024.0 * 1024 * 1024),
                  host_fits() ? "fits" : "DOES NOT FIT");
    out += buf;
  }
  return out;
}

}  // namespace kvsim::models
