// models/step_plan.cpp — the kernels of a decoder layer and where offloading changes them.
#include "models/step_plan.h"

#include <map>
#include <stdexcept>
#include <utility>

namespace kvsim::models {

using hardware::KernelClass;

KvPlacement parse_kv_placement(const std::string& s) {
  if (s == "gpu") return KvPlacement::kGpu;
  if (s == "offload") return KvPlacement::kOffload;
  if (s == "host-attention") return KvPlacement::kHostAttention;
  throw std::invalid_argument("unknown KV placement '" + s + "'");
}

const char* kv_placement_name(KvPlacement p) {
  switch (p) {
    case KvPlacement::kGpu: return "gpu";
    case KvPlacement::kOffload: return "offload";
    case KvPlacement::kHostAttention: return "host-attention";
  }
  return "?";
}

const char* op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::kFramework: return "framework";
    case OpKind::kKernel: return "kernel";
    case OpKind::kAllReduce: return "all-reduce";
    case OpKind::kCopyH2D: return "copy-h2d";
    case OpKind::kCopyD2H: return "copy-d2h";
    case OpKind::kHostAttention: return "host-attention";
  }
  return "?";
}

std::int64_t attended_tokens(const StepShape& s) { return s.attended > 0 ? s.attended : s.cached + s.q; }

namespace {

struct Builder {
  const Architecture& a;
  const Deployment& d;
  const StepShape& s;
  std::vector<Op> ops;
  double dt, n;  // dtype bytes, rows (batch * q)

  void kernel(int layer, std::string name, KernelClass cls, double flops, double bytes) {
    Op op;
    op.kind = OpKind::kKernel;
    op.layer = layer;
    op.work = hardware::KernelWork{std::move(name), cls, flops, bytes};
    ops.push_back(std::move(op));
  }
  void special(int layer, OpKind kind, std::string name, double bytes, bool prefetch = false) {
    Op op;
    op.kind = kind;
    op.layer = layer;
    op.work.name = std::move(name);
    op.bytes = bytes;
    op.prefetch = prefetch;
    ops.push_back(std::move(op));
  }
  // Decode matmuls on a handful of rows stream their weights (GEMV-like); many rows are GEMMs.
  KernelClass matmul_class() const { return n >= 64 ? KernelClass::kGemm : KernelClass::kGemv; }
  void matmul(int layer, std::string name, double in, double out) {
    kernel(layer, std::move(name), matmul_class(), 2.0 * n * in * out, (in * out + n * (in + out)) * dt);
  }
};

// The GPU-side ops the host issues one by one (prefetched loads are issued ahead, with the first
// layers, and carry no issue time of their own).
bool issued_in_order(const Op& op) { return !(op.kind == OpKind::kCopyH2D && op.prefetch); }

// Spreads `total` over the ops in [from, to) that the host issues; the remainder of the integer
// division goes to the first, so the shares add up to `total` exactly.
void spread(std::vector<Op>& ops, std::size_t from, std::size_t to, sim::Duration total) {
  std::vector<std::size_t> idx;
  for (std::size_t i = from; i < to; ++i)
    if (issued_in_order(ops[i])) idx.push_back(i);
  if (idx.empty() || total == 0) return;
  const auto n = static_cast<sim::Duration>(idx.size());
  for (std::size_t i : idx) ops[i].host += total / n;
  ops[idx.front()].host += total % n;
}

void add_host_side(const Architecture& a, const Deployment& d, std::vector<Op>& ops) {
  const hardware::StackProfile& st = d.stack;
  for (Op& op : ops)
    if (op.kind == OpKind::kFramework && op.work.name == "sync") op.host_sync = true;
  // [begin, end) of each layer's ops, and of the ops before (-1) and after (-2) the layers.
  std::map<int, std::pair<std::size_t, std::size_t>> range;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto [it, fresh] = range.try_emplace(ops[i].layer, i, i + 1);
    if (!fresh) it->second.second = i + 1;
  }
  if (!d.cuda_graphs) {
    const sim::Duration per_layer = static_cast<sim::Duration>(st.eager_ops_per_layer + (d.tp > 1 ? 2 : 0)) * st.op_issue;
    for (int l = 0; l < a.layers; ++l)
      if (auto it = range.find(l); it != range.end()) spread(ops, it->second.first, it->second.second, per_layer);
    // The ops outside the layers, split between those before and those after them.
    const sim::Duration outside = static_cast<sim::Duration>(st.ops_outside_layers) * st.op_issue;
    const auto before = range.at(-1), after = range.at(-2);
    spread(ops, before.first, before.second, outside / 2);
    spread(ops, after.first, after.second, outside - outside / 2);
    return;
  }
  // Graphed: everything from the embedding to the final norm is captured; the LM head and the
  // sampling are captured too unless the stack issues them after the graph.
  auto first_issued = [&](std::size_t from, std::size_t to) -> Op* {
    for (std::size_t i = from; i < to; ++i)
      if (issued_in_order(ops[i])) return &ops[i];
    return nullptr;
  };
  if (Op* first = first_issued(0, ops.size())) first->host += st.graph_replay;
  if (st.graph_pieces == hardware::GraphPieces::kPerLayer) {
    // A piece ends at each attention call: the call is issued eagerly (its cache write is its
    // first kernel), and the next piece's graph is replayed after it.
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].work.name == "kv_append" || ops[i].kind == OpKind::kHostAttention) ops[i].host += st.op_issue;
      if (ops[i].work.name == "attention" || ops[i].kind == OpKind::kHostAttention)
        if (Op* next = first_issued(i + 1, ops.size())) next->host += st.graph_replay;
    }
  }
  if (st.ops_after_graph > 0) {
    const auto after = range.at(-2);
    std::size_t head = after.first;
    while (head < after.second && ops[head].work.name != "lm_head") ++head;
    if (head < after.second) {
      ops[head].host += st.op_issue;  // the logits' projection, then the sampler's ops
      spread(ops, head + 1, after.second, static_cast<sim::Duration>(st.ops_after_graph - 1) * st.op_issue);
    }
  }
}

}  // namespace

sim::Duration host_issue_time(const std::vector<Op>& plan) {
  sim::Duration t = 0;
  for (const Op& op : plan) t += op.host;
  return t;
}

std::vector<Op> plan_step(const Architecture& a, const Deployment& d, const StepShape& s) {
  if (d.tp < 1 || a.heads % d.tp != 0 || a.kv_heads % d.tp != 0 || a.ffn % d.tp != 0) {
    throw std::invalid_argument("tensor parallelism " + std::to_string(d.tp) + " does not divide the heads (" +
                                std::to_string(a.heads) + "), KV heads (" + std::to_string(a.kv_heads) +
                                ") and FFN (" + std::to_string(a.ffn) + ") of " + a.name);
  }
  Builder b{a, d, s, {}, static_cast<double>(a.dtype_bytes), static_cast<double>(s.batch * s.q)};
  const double t = d.tp, hd = static_cast<double>(a.head_dim), h = a.heads / t, kv = a.kv_heads / t;
  const double dm = static_cast<double>(a.hidden), ffn = a.ffn / t, n = b.n, dt = b.dt;
  const double kv_layer = 2.0 * kv * hd * dt;  // KV bytes per token per layer on this rank
  const double attended = static_cast<double>(attended_tokens(s));
  // (query, key) pairs per sequence: a selection budget for every query, or causal over the cache.
  const double pairs = s.attended > 0 ? static_cast<double>(s.q) * s.attended
                                      : static_cast<double>(s.q) * s.cached + static_cast<double>(s.q) * (s.q + 1) / 2.0;
  const double cached_total = static_cast<double>(s.cached + s.q);  // what an offloaded layer must hold on the GPU

  b.special(-1, OpKind::kFramework, "framework", 0);
  b.ops.back().fixed = d.stack.forward_overhead;
  b.kernel(-1, "embedding", KernelClass::kElementwise, 0, 2 * n * dm * dt);

  std::vector<int> offloaded;
  for (int l = 0; l < a.layers; ++l) {
    const bool off = d.kv == KvPlacement::kOffload && l >= d.on_chip_layers;
    if (d.weight_layers_on_chip >= 0 && l >= d.weight_layers_on_chip) {
      // Offloaded weights: the layer's matrices stream in before any of its kernels runs.
      b.special(l, OpKind::kCopyH2D, "weights_load", static_cast<double>(a.layer_params()) / t * dt, true);
    }
    if (off) {
      // The offloading engine synchronizes per layer: the host waits (Op::host_sync, set below).
      b.special(l, OpKind::kFramework, "sync", 0);
      b.special(l, OpKind::kCopyH2D, "kv_load", s.batch * cached_total * kv_layer, true);
    }
    b.kernel(l, "norm_attn", KernelClass::kElementwise, 0, 2 * n * dm * dt + dm * dt);
    b.matmul(l, "qkv_proj", dm, (h + 2 * kv) * hd);
    b.kernel(l, "rope", KernelClass::kElementwise, 0, 2 * n * (h + kv) * hd * dt);
    if (d.kv == KvPlacement::kHostAttention) {
      b.special(l, OpKind::kCopyD2H, "qkv_to_host", n * (h + 2 * kv) * hd * dt);
      Op host;
      host.kind = OpKind::kHostAttention;
      host.layer = l;
      // The cached K and V in the host buffer's element type, read by the two GEMVs; the scores
      // (fp32) written and read by the softmax's passes (max, exp, sum, normalize: about 6).
      const double host_kv = kv_layer * d.host_kv_bytes / dt;
      host.work = hardware::KernelWork{"attention_host", KernelClass::kAttention, 4.0 * s.batch * pairs * h * hd,
                                       s.batch * attended * host_kv + n * host_kv + 6.0 * s.batch * pairs * h * 4.0};
      b.ops.push_back(std::move(host));
      b.special(l, OpKind::kCopyH2D, "attn_out_to_gpu", n * h * hd * dt);
    } else {
      b.kernel(l, "kv_append", KernelClass::kElementwise, 0, 2 * n * kv_layer);
      if (s.gather_selected)
        b.kernel(l, "kv_gather", KernelClass::kElementwise, 0, 2 * s.batch * attended * kv_layer);
      b.kernel(l, "attention", KernelClass::kAttention, 4.0 * s.batch * pairs * h * hd,
               s.batch * attended * kv_layer + 2 * n * h * hd * dt);
      if (off) b.special(l, OpKind::kCopyD2H, "kv_store", n * kv_layer);
    }
    b.matmul(l, "o_proj", h * hd, dm);
    if (d.tp > 1) b.special(l, OpKind::kAllReduce, "allreduce_attn", n * dm * dt);
    b.kernel(l, "residual_attn", KernelClass::kElementwise, 0, 3 * n * dm * dt);
    b.kernel(l, "norm_mlp", KernelClass::kElementwise, 0, 2 * n * dm * dt + dm * dt);
    if (a.activation == "swiglu") {
      b.matmul(l, "gate_up_proj", dm, 2 * ffn);
      b.kernel(l, "silu_mul", KernelClass::kElementwise, 0, 3 * n * ffn * dt);
    } else {
      b.matmul(l, "up_proj", dm, ffn);
      b.kernel(l, a.activation == "silu" ? "silu" : "gelu", KernelClass::kElementwise, 0, 2 * n * ffn * dt);
    }
    b.matmul(l, "down_proj", ffn, dm);
    if (d.tp > 1) b.special(l, OpKind::kAllReduce, "allreduce_mlp", n * dm * dt);
    b.kernel(l, "residual_mlp", KernelClass::kElementwise, 0, 3 * n * dm * dt);
  }
  b.kernel(-2, "norm_final", KernelClass::kElementwise, 0, 2 * n * dm * dt + dm * dt);
  // The LM head is replicated on every rank (TriForce's TP engine): full vocabulary per rank.
  b.kernel(-2, "lm_head", b.matmul_class(), 2.0 * n * dm * a.vocab, (dm * a.vocab + n * dm) * dt + n * a.vocab * 4.0);
  if (s.sample) {
    // Softmax, temperature and top-p over fp32 logits: about four passes over the vocabulary.
    Op op;
    op.kind = OpKind::kKernel;
    op.layer = -2;
    op.work = hardware::KernelWork{"sampling", KernelClass::kSampling, 0, 4.0 * n * a.vocab * 4.0};
    op.rank0_only = true;
    b.ops.push_back(std::move(op));
    if (d.tp > 1) b.special(-2, OpKind::kAllReduce, "broadcast_tokens", n * 8);
  }
  add_host_side(a, d, b.ops);
  return std::move(b.ops);
}

}  // namespace kvsim::models
