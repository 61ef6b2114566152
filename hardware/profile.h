// hardware/profile.h — devices, hosts, links and software stacks as data.
//
// Contract: every profile is a TOML file under hardware/profiles/{gpu,host,link,stack}/ whose
// numbers carry their source in a comment (datasheet, measurement, or "calibrated against X"). Profiles
// are validated as strictly as scenarios (same units, same diagnostics). One profile serves every
// scenario; a scenario may override any field of the profile it uses (apply_overrides), and the
// override is validated against the same schema. Values are in base units (bytes, B/s, FLOP/s,
// seconds, watts).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "scenarios/schema.h"
#include "sim/time.h"

namespace kvsim::hardware {

struct GpuEfficiency {
  double gemm_compute = 0;
  double gemv_memory = 0;
  double attention_memory = 0;
  double elementwise_memory = 0;
  double sampling_memory = 0;
};

struct GpuProfile {
  std::string name;
  std::string description;
  double memory_bytes = 0;         // nominal
  double usable_memory_bytes = 0;  // what allocations can use
  double memory_bandwidth = 0;     // B/s
  double peak_fp16 = 0;            // FLOP/s, tensor cores, dense
  double peak_fp32 = 0;            // FLOP/s
  double board_power = 0;          // W
  std::string host_link;
  std::string peer_link;
  GpuEfficiency efficiency;
  sim::Duration kernel_launch = 0;
  sim::Duration graph_kernel_launch = 0;
};

// A software stack: what the host thread costs when it drives the GPU (an eager op, a captured
// graph's replay, a synchronization), how many ops a forward issues, and what a graphed forward
// leaves outside its graphs. models/step_plan.h turns it into the host side of every forward.
enum class GraphPieces {
  kWhole,     // one graph per forward (the released TriForce code; vLLM's full-graph decode)
  kPerLayer,  // piecewise: a graph per span between attention calls, attention issued eagerly
};
struct StackProfile {
  std::string name;
  std::string description;
  sim::Duration op_issue = 0;      // host time to issue one eager op (Python, dispatcher, launch)
  sim::Duration sync = 0;          // host bubble per synchronization (.item(), blocking copy, a Python if on a tensor)
  sim::Duration graph_replay = 0;  // host time to launch one captured CUDA graph
  int eager_ops_per_layer = 0;     // ops one eager decoder layer issues
  int ops_outside_layers = 0;      // eager ops before and after the layers (embedding, final norm, LM head, sampling)
  GraphPieces graph_pieces = GraphPieces::kWhole;
  int ops_after_graph = 0;         // graphed forward: eager ops issued after the graph (logits, sampler)
  sim::Duration forward_overhead = 0;  // per forward: framework work the GPU waits for, not itemized above (fitted for pytorch)
  sim::Duration step_overhead = 0; // host work per engine step before its forward (scheduling, input preparation)
  bool step_sync = false;          // a decode loop waits for each step's sampled tokens on the host
  double memory_fraction = 1.0;    // share of the GPU's usable memory the stack allocates (vLLM's gpu_memory_utilization)
  int kv_block_tokens = 1;         // the KV cache is allocated in blocks of this many tokens per sequence (paged KV)
};

struct HostProfile {
  std::string name;
  std::string description;
  int cores = 0;
  double frequency = 0;          // Hz
  double memory_bytes = 0;
  double memory_bandwidth = 0;   // B/s
  double memory_efficiency = 0;
  double fp32_per_core = 0;      // FLOP/s
  double compute_efficiency = 0;
  double ring_mac_per_core = 0;  // 64-bit multiply-adds per second
  double prg_bytes_per_core = 0; // B/s
  // K and V bytes per second one core's eager fp32 attention (GEMV, softmax, GEMV) reads.
  double attention_bandwidth_per_core = 0;
};

struct LinkProfile {
  std::string name;
  std::string description;
  std::string medium;            // pcie | nvlink | network
  double bandwidth = 0;          // nominal, per direction, B/s
  double effective_bandwidth = 0;// bulk transfers (pinned host-to-device for PCIe), per direction
  double effective_d2h = 0;      // device-to-host (PCIe); equals effective_bandwidth elsewhere
  sim::Duration latency = 0;     // one-way
};

const scenarios::TableSchema& gpu_schema();
const scenarios::TableSchema& host_schema();
const scenarios::TableSchema& link_schema();
const scenarios::TableSchema& stack_schema();
// The same schema with no key required: what a scenario may override in a profile.
scenarios::TableSchema optional_copy(const scenarios::TableSchema& s);

// All profiles of a folder tree (hardware/profiles by default). Loading is strict: any bad file
// throws scenarios::ScenarioError with file:line:col.
class Catalog {
 public:
  static Catalog load(const std::string& profiles_dir);
  // The folder kvsim was built with, or $KVSIM_HARDWARE_DIR.
  static std::string default_dir();

  // Throws scenarios::ScenarioError naming the known profiles (and the closest) if `name` is unknown.
  GpuProfile gpu(const std::string& name, const toml::table* overrides = nullptr,
                 const std::string& where = "") const;
  HostProfile host(const std::string& name, const toml::table* overrides = nullptr,
                   const std::string& where = "") const;
  LinkProfile link(const std::string& name, const toml::table* overrides = nullptr,
                   const std::string& where = "") const;
  StackProfile stack(const std::string& name, const toml::table* overrides = nullptr, const std::string& where = "") const;

  std::vector<std::string> names(const std::string& kind) const;  // "gpu", "host", "link", "stack"
  const std::string& file_of(const std::string& kind, const std::string& name) const;
  std::string description_of(const std::string& kind, const std::string& name) const;

 private:
  struct Entry {
    std::string file;
    toml::table tree;  // validated
  };
  const Entry& find(const std::string& kind, const std::string& name, const std::string& where) const;
  toml::table resolved(const std::string& kind, const std::string& name, const toml::table* overrides,
                       const std::string& where) const;
  std::map<std::string, std::map<std::string, Entry>> entries_;  // kind -> name -> entry
};

}  // namespace kvsim::hardware
