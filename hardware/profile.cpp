// hardware/profile.cpp — profile schemas, loading, overrides.
#include "hardware/profile.h"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "scenarios/data_location.h"
#include "scenarios/scenario.h"

#ifndef KVSIM_HARDWARE_DIR
#define KVSIM_HARDWARE_DIR "hardware/profiles"
#endif

namespace kvsim::hardware {

namespace fs = std::filesystem;
using scenarios::Dimension;
using scenarios::TableSchema;

namespace {

TableSchema make_gpu_schema() {
  TableSchema s;
  s.string("kind", "profile kind").required().choices({"gpu"});
  s.string("description", "what this device is").required();
  s.quantity("memory", Dimension::kData, "nominal device memory").required().min(0, true);
  s.quantity("usable_memory", Dimension::kData, "memory available to allocations").required().min(0, true);
  s.quantity("memory_bandwidth", Dimension::kBandwidth, "peak memory bandwidth").required().min(0, true);
  s.quantity("peak_fp16", Dimension::kComputeRate, "dense FP16/BF16 tensor throughput").required().min(0, true);
  s.quantity("peak_fp32", Dimension::kComputeRate, "FP32 throughput").required().min(0, true);
  s.quantity("board_power", Dimension::kPower, "board power (TDP)").required().min(0, true);
  s.string("host_link", "link profile to the host").required();
  s.string("peer_link", "link profile to peer GPUs").required();
  TableSchema eff;
  for (const char* k : {"gemm_compute", "gemv_memory", "attention_memory", "elementwise_memory", "sampling_memory"})
    eff.number(k, "achieved share of peak for this kernel class").required().min(0, true).max(1);
  s.table("efficiency", "achieved / peak per kernel class", std::move(eff)).required();
  TableSchema ov;
  ov.quantity("kernel_launch", Dimension::kTime, "eager launch cost per kernel").required().min(0);
  ov.quantity("graph_kernel_launch", Dimension::kTime, "per-kernel cost inside a CUDA graph").required().min(0);
  s.table("overhead", "host-side costs", std::move(ov)).required();
  return s;
}

TableSchema make_host_schema() {
  TableSchema s;
  s.string("kind", "profile kind").required().choices({"host"});
  s.string("description", "what this host is").required();
  s.integer("cores", "physical cores").required().min(1);
  s.quantity("frequency", Dimension::kFrequency, "base clock").required().min(0, true);
  s.quantity("memory", Dimension::kData, "installed memory").required().min(0, true);
  s.quantity("memory_bandwidth", Dimension::kBandwidth, "theoretical memory bandwidth").required().min(0, true);
  s.number("memory_efficiency", "achieved share of memory bandwidth").required().min(0, true).max(1);
  s.quantity("fp32_per_core", Dimension::kComputeRate, "peak FP32 per core").required().min(0, true);
  s.number("compute_efficiency", "achieved share of FP32 peak in attention").required().min(0, true).max(1);
  s.number("ring_mac_per_core", "64-bit ring multiply-adds per second per core").required().min(0, true);
  s.quantity("prg_bytes_per_core", Dimension::kBandwidth, "pseudo-random bytes per second per core").required().min(0, true);
  s.quantity("attention_bandwidth_per_core", Dimension::kBandwidth, "K and V bytes per second one core's eager fp32 attention reads")
      .required().min(0, true);
  return s;
}

TableSchema make_link_schema() {
  TableSchema s;
  s.string("kind", "profile kind").required().choices({"link"});
  s.string("medium", "what carries the bytes").required().choices({"pcie", "nvlink", "network"});
  s.string("description", "what this link is").required();
  s.quantity("bandwidth", Dimension::kBandwidth, "nominal bandwidth per direction").required().min(0, true);
  s.quantity("effective_bandwidth", Dimension::kBandwidth, "bulk-transfer bandwidth per direction").required().min(0, true);
  s.quantity("effective_d2h", Dimension::kBandwidth, "device-to-host bandwidth (PCIe)").required().min(0, true);
  s.quantity("latency", Dimension::kTime, "one-way latency").required().min(0);
  return s;
}

TableSchema make_stack_schema() {
  TableSchema s;
  s.string("kind", "profile kind").required().choices({"stack"});
  s.string("description", "what this software stack is").required();
  s.quantity("op_issue", Dimension::kTime, "host time to issue one eager op").required().min(0);
  s.quantity("sync", Dimension::kTime, "host bubble per synchronization").required().min(0);
  s.quantity("graph_replay", Dimension::kTime, "host time to launch one captured graph").required().min(0);
  s.integer("eager_ops_per_layer", "ops one eager decoder layer issues").required().min(0);
  s.integer("ops_outside_layers", "eager ops before and after the layers (embedding, final norm, LM head, sampling)")
      .required().min(0);
  s.string("graph_pieces", "what one captured graph covers: the whole forward, or the span between attention calls")
      .required().choices({"whole", "per-layer"});
  s.integer("ops_after_graph", "graphed forward: eager ops issued after the graph (logits, sampler)").required().min(0);
  s.quantity("forward_overhead", Dimension::kTime, "per-forward framework cost the GPU waits for (what the rest does not itemize)")
      .required().min(0);
  s.quantity("step_overhead", Dimension::kTime, "host work per engine step before its forward").required().min(0);
  s.boolean("step_sync", "a decode loop waits for each step's sampled tokens on the host").required();
  s.number("memory_fraction", "share of the GPU's usable memory the stack allocates").required().min(0, true).max(1);
  s.integer("kv_block_tokens", "the KV cache is allocated in blocks of this many tokens per sequence").required().min(1);
  return s;
}

void merge_override(toml::table& base, const toml::table& over) {
  for (auto&& [k, v] : over) {
    if (auto* sub = v.as_table()) {
      if (auto* b = base.get(k.str()); b && b->is_table()) {
        merge_override(*b->as_table(), *sub);
        continue;
      }
    }
    base.insert_or_assign(k.str(), v);
  }
}

double q(const toml::table& t, std::string_view k, Dimension d) { return scenarios::get_quantity(t, k, d); }

}  // namespace

TableSchema optional_copy(const TableSchema& s) {
  TableSchema out;
  for (scenarios::Field f : s.fields()) {
    f.is_required = false;
    if (f.sub) f.sub = std::make_shared<TableSchema>(optional_copy(*f.sub));
    out.append(f);
  }
  return out;
}

const TableSchema& gpu_schema() {
  static const TableSchema s = make_gpu_schema();  // immutable after construction
  return s;
}
const TableSchema& host_schema() {
  static const TableSchema s = make_host_schema();
  return s;
}
const TableSchema& stack_schema() {
  static const TableSchema s = make_stack_schema();
  return s;
}

const TableSchema& link_schema() {
  static const TableSchema s = make_link_schema();
  return s;
}

std::string Catalog::default_dir() {
  if (const char* d = std::getenv("KVSIM_HARDWARE_DIR")) return d;
  return scenarios::data_file("profiles", KVSIM_HARDWARE_DIR);
}

Catalog Catalog::load(const std::string& dir) {
  Catalog c;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw scenarios::ScenarioError({{dir, "(hardware)", "hardware profile folder does not exist"}});
  }
  std::vector<scenarios::Diagnostic> problems;
  for (const char* kind : {"gpu", "host", "link", "stack"}) {
    const fs::path sub = fs::path(dir) / kind;
    if (!fs::is_directory(sub, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(sub)) if (e.path().extension() == ".toml") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    const std::string k(kind);
    const TableSchema& schema = k == "gpu" ? gpu_schema() : k == "host" ? host_schema() : k == "link" ? link_schema() : stack_schema();
    for (const auto& f : files) {
      try {
        toml::table t = scenarios::load_tree(f.string());
        auto diags = scenarios::validate_and_fill(t, schema, f.string());
        if (!diags.empty()) {
          for (auto& d : diags) problems.push_back(std::move(d));
          continue;
        }
        c.entries_[kind][f.stem().string()] = Entry{f.string(), std::move(t)};
      } catch (const scenarios::ScenarioError& e) {
        for (const auto& d : e.diagnostics()) problems.push_back(d);
      }
    }
  }
  if (!problems.empty()) throw scenarios::ScenarioError(std::move(problems));
  return c;
}

const Catalog::Entry& Catalog::find(const std::string& kind, const std::string& name, const std::string& where) const {
  auto k = entries_.find(kind);
  if (k != entries_.end()) {
    auto it = k->second.find(name);
    if (it != k->second.end()) return it->second;
  }
  std::string list, best;
  std::size_t best_d = SIZE_MAX;
  for (const auto& n : names(kind)) {
    list += (list.empty() ? "" : ", ") + n;
    const auto d = scenarios::edit_distance(name, n);
    if (d < best_d) { best_d = d; best = n; }
  }
  std::string msg = "no " + kind + " profile '" + name + "' (known: " + list + ")";
  if (best_d <= std::max<std::size_t>(2, best.size() / 3)) msg += "; did you mean '" + best + "'?";
  throw scenarios::ScenarioError({{where.empty() ? default_dir() : where, kind, msg}});
}

toml::table Catalog::resolved(const std::string& kind, const std::string& name, const toml::table* overrides,
                              const std::string& where) const {
  toml::table t = find(kind, name, where).tree;
  if (overrides && !overrides->empty()) {
    const TableSchema& full = kind == "gpu" ? gpu_schema() : kind == "host" ? host_schema() : kind == "link" ? link_schema() : stack_schema();
    toml::table check = *overrides;
    auto diags = scenarios::validate_and_fill(check, optional_copy(full), where, kind + "_overrides");
    if (!diags.empty()) throw scenarios::ScenarioError(std::move(diags));
    merge_override(t, *overrides);
  }
  return t;
}

GpuProfile Catalog::gpu(const std::string& name, const toml::table* overrides, const std::string& where) const {
  const toml::table t = resolved("gpu", name, overrides, where);
  GpuProfile g;
  g.name = name;
  g.description = scenarios::get_string(t, "description");
  g.memory_bytes = q(t, "memory", Dimension::kData);
  g.usable_memory_bytes = q(t, "usable_memory", Dimension::kData);
  g.memory_bandwidth = q(t, "memory_bandwidth", Dimension::kBandwidth);
  g.peak_fp16 = q(t, "peak_fp16", Dimension::kComputeRate);
  g.peak_fp32 = q(t, "peak_fp32", Dimension::kComputeRate);
  g.board_power = q(t, "board_power", Dimension::kPower);
  g.host_link = scenarios::get_string(t, "host_link");
  g.peer_link = scenarios::get_string(t, "peer_link");
  g.efficiency.gemm_compute = scenarios::get_number(t, "efficiency.gemm_compute");
  g.efficiency.gemv_memory = scenarios::get_number(t, "efficiency.gemv_memory");
  g.efficiency.attention_memory = scenarios::get_number(t, "efficiency.attention_memory");
  g.efficiency.elementwise_memory = scenarios::get_number(t, "efficiency.elementwise_memory");
  g.efficiency.sampling_memory = scenarios::get_number(t, "efficiency.sampling_memory");
  g.kernel_launch = sim::from_seconds(q(t, "overhead.kernel_launch", Dimension::kTime));
  g.graph_kernel_launch = sim::from_seconds(q(t, "overhead.graph_kernel_launch", Dimension::kTime));
  return g;
}

HostProfile Catalog::host(const std::string& name, const toml::table* overrides, const std::string& where) const {
  const toml::table t = resolved("host", name, overrides, where);
  HostProfile h;
  h.name = name;
  h.description = scenarios::get_string(t, "description");
  h.cores = static_cast<int>(scenarios::get_integer(t, "cores"));
  h.frequency = q(t, "frequency", Dimension::kFrequency);
  h.memory_bytes = q(t, "memory", Dimension::kData);
  h.memory_bandwidth = q(t, "memory_bandwidth", Dimension::kBandwidth);
  h.memory_efficiency = scenarios::get_number(t, "memory_efficiency");
  h.fp32_per_core = q(t, "fp32_per_core", Dimension::kComputeRate);
  h.compute_efficiency = scenarios::get_number(t, "compute_efficiency");
  h.ring_mac_per_core = scenarios::get_number(t, "ring_mac_per_core");
  h.prg_bytes_per_core = q(t, "prg_bytes_per_core", Dimension::kBandwidth);
  h.attention_bandwidth_per_core = q(t, "attention_bandwidth_per_core", Dimension::kBandwidth);
  return h;
}

LinkProfile Catalog::link(const std::string& name, const toml::table* overrides, const std::string& where) const {
  const toml::table t = resolved("link", name, overrides, where);
  LinkProfile l;
  l.name = name;
  l.description = scenarios::get_string(t, "description");
  l.medium = scenarios::get_string(t, "medium");
  l.bandwidth = q(t, "bandwidth", Dimension::kBandwidth);
  l.effective_bandwidth = q(t, "effective_bandwidth", Dimension::kBandwidth);
  l.effective_d2h = q(t, "effective_d2h", Dimension::kBandwidth);
  l.latency = sim::from_seconds(q(t, "latency", Dimension::kTime));
  return l;
}

StackProfile Catalog::stack(const std::string& name, const toml::table* overrides, const std::string& where) const {
  const toml::table t = resolved("stack", name, overrides, where);
  StackProfile p;
  p.name = name;
  p.description = scenarios::get_string(t, "description");
  p.op_issue = sim::from_seconds(q(t, "op_issue", Dimension::kTime));
  p.sync = sim::from_seconds(q(t, "sync", Dimension::kTime));
  p.graph_replay = sim::from_seconds(q(t, "graph_replay", Dimension::kTime));
  p.eager_ops_per_layer = static_cast<int>(scenarios::get_integer(t, "eager_ops_per_layer"));
  p.ops_outside_layers = static_cast<int>(scenarios::get_integer(t, "ops_outside_layers"));
  p.graph_pieces = scenarios::get_string(t, "graph_pieces") == "per-layer" ? GraphPieces::kPerLayer : GraphPieces::kWhole;
  p.ops_after_graph = static_cast<int>(scenarios::get_integer(t, "ops_after_graph"));
  p.forward_overhead = sim::from_seconds(q(t, "forward_overhead", Dimension::kTime));
  p.step_overhead = sim::from_seconds(q(t, "step_overhead", Dimension::kTime));
  p.step_sync = scenarios::get_bool(t, "step_sync");
  p.memory_fraction = scenarios::get_number(t, "memory_fraction");
  p.kv_block_tokens = static_cast<int>(scenarios::get_integer(t, "kv_block_tokens"));
  return p;
}

std::vector<std::string> Catalog::names(const std::string& kind) const {
  std::vector<std::string> out;
  auto k = entries_.find(kind);
  if (k != entries_.end()) for (const auto& [n, _] : k->second) out.push_back(n);
  return out;
}

const std::string& Catalog::file_of(const std::string& kind, const std::string& name) const {
  return find(kind, name, "").file;
}

std::string Catalog::description_of(const std::string& kind, const std::string& name) const {
  return scenarios::get_string(find(kind, name, "").tree, "description");
}

}  // namespace kvsim::hardware
