// models/execution.cpp — scheduling a step plan on GPU streams.
#include "models/execution.h"

#include <algorithm>
#include <map>

namespace kvsim::models {

Machine make_machine(sim::Engine& engine, const Deployment& dep, const std::string& prefix) {
  Machine m;
  for (int r = 0; r < dep.tp; ++r)
    m.gpus.push_back(std::make_unique<sim::Device>(engine, prefix + std::to_string(r),
                                                   std::vector<std::string>{"compute", "h2d", "d2h"}));
  m.host = std::make_unique<sim::Device>(engine, "host", std::vector<std::string>{"cpu", "python"});
  return m;
}

sim::Engine::SleepAwaiter on_every_gpu(sim::Engine& engine, Machine& m, std::string_view stream, sim::Duration d,
                                       std::string_view label) {
  sim::Time end = engine.now();
  for (auto& gpu : m.gpus) end = std::max(end, gpu->stream(stream).enqueue(d, label).end);
  return engine.sleep_until(end);
}

hardware::Cost op_cost(const Op& op, const Deployment& dep) {
  switch (op.kind) {
    case OpKind::kFramework: return {op.fixed, hardware::Bound::kLaunch};
    case OpKind::kKernel: return hardware::kernel_cost(dep.gpu, op.work, dep.cuda_graphs);
    case OpKind::kAllReduce: return hardware::allreduce_cost(dep.peer_link, op.bytes, dep.tp);
    case OpKind::kCopyH2D: return hardware::copy_cost(dep.host_link, op.bytes, true);
    case OpKind::kCopyD2H: return hardware::copy_cost(dep.host_link, op.bytes, false);
    case OpKind::kHostAttention:
      return hardware::host_compute_cost(dep.host, op.work.flops, op.work.bytes,
                                         dep.host_threads > 0 ? dep.host_threads : dep.host.cores);
  }
  return {};
}

namespace {
std::string class_of(const Op& op) {
  switch (op.kind) {
    case OpKind::kKernel: return std::string(hardware::kernel_class_name(op.work.cls));
    default: return op_kind_name(op.kind);
  }
}
}  // namespace

sim::Task<void> run_step(sim::Engine& engine, Machine& m, Deployment dep, std::vector<Op> plan, StepStats& stats,
                         bool engine_step) {
  const sim::Time start = engine.now();
  const sim::Duration compute_busy0 = m.gpus[0]->stream("compute").busy();
  const sim::Duration h2d_busy0 = m.gpus[0]->stream("h2d").busy();
  const sim::Duration host_busy0 = m.host->stream("cpu").busy();
  const int ranks = static_cast<int>(m.gpus.size());
  std::vector<sim::StreamOp> last(ranks, sim::StreamOp{start, start});   // last op on compute, per rank
  std::vector<sim::StreamOp> pending_input(ranks, sim::StreamOp{start, start});  // data the next kernel needs
  sim::Time end = start;

  // The host thread: `host` is when it has issued everything so far; what it does shows on the
  // "python" stream as contiguous spans. The GPU cannot start an op before the host issued it,
  // except in a decode loop that never synchronizes per step (stack.step_sync false): there the
  // host issued this step while the GPU ran the previous one, so the GPU waits for it only after
  // the host has waited for the GPU (an offloaded layer's sync), and the step lasts at least the
  // host's issue time (steady state of a pipelined loop).
  const hardware::StackProfile& stack = dep.stack;
  bool host_ahead = engine_step && !stack.step_sync;
  sim::Stream& python = m.host->stream("python");
  sim::Time host = start, span_from = start;
  auto host_span = [&](std::string_view label) {
    if (host > span_from) python.enqueue(host - span_from, label, {sim::StreamOp{span_from, span_from}});
    span_from = host;
  };
  // A synchronization: the host waits for every GPU's work so far, then pays the stack's bubble.
  auto host_wait = [&](sim::Time gpus_done) {
    host_ahead = false;
    host_span("issue");
    host = span_from = std::max(host, gpus_done);
    host += stack.sync;
    host_span("sync");
  };
  if (engine_step) {
    host += stack.step_overhead;
    host_span("step-prepare");
  }

  // Double buffering: the layers with streamed data (offloaded KV and/or weights) in order; the
  // loads of the k-th such layer go into the buffers of the (k-2)-th, so they may start once
  // that layer has finished all its kernels. The first two are issued at once.
  std::vector<int> streamed;                      // layers with loads, in plan order
  std::map<int, std::vector<std::size_t>> loads;  // layer -> plan indices of its loads
  for (std::size_t i = 0; i < plan.size(); ++i)
    if (plan[i].kind == OpKind::kCopyH2D && plan[i].prefetch) {
      if (!loads.count(plan[i].layer)) streamed.push_back(plan[i].layer);
      loads[plan[i].layer].push_back(i);
    }
  std::map<std::size_t, std::vector<sim::StreamOp>> load_op;  // plan index -> per rank
  auto issue_layer = [&](std::size_t k, sim::StreamOp after) {
    if (k >= streamed.size()) return;
    for (std::size_t i : loads[streamed[k]]) {
      const Op& op = plan[i];
      const hardware::Cost c = op_cost(op, dep);
      auto& ops = load_op[i];
      ops.resize(static_cast<std::size_t>(ranks));
      for (int r = 0; r < ranks; ++r) {
        ops[static_cast<std::size_t>(r)] = m.gpus[r]->stream("h2d").enqueue(c.time, op.work.name, {after},
                                                                            static_cast<std::uint64_t>(op.bytes));
        end = std::max(end, ops[static_cast<std::size_t>(r)].end);
      }
      stats.h2d_bytes += op.bytes;
    }
  };
  issue_layer(0, {start, start});
  issue_layer(1, {start, start});
  std::map<int, std::size_t> position;  // layer -> its index in `streamed`
  for (std::size_t k = 0; k < streamed.size(); ++k) position[streamed[k]] = k;

  for (std::size_t i = 0; i < plan.size(); ++i) {
    const Op& op = plan[i];
    const hardware::Cost c = op_cost(op, dep);
    if (op.kind == OpKind::kCopyH2D && op.prefetch) {
      // Already issued; what follows in the layer waits for it (every load of the layer).
      for (int r = 0; r < ranks; ++r) {
        const sim::StreamOp& l = load_op.at(i)[static_cast<std::size_t>(r)];
        if (l.end > pending_input[r].end) pending_input[r] = l;
      }
      continue;
    }
    if (op.host_sync) {
      sim::Time done = start;
      for (int r = 0; r < ranks; ++r) done = std::max(done, last[r].end);
      host_wait(done);
    }
    host += op.host;
    const sim::StreamOp issued = host_ahead ? sim::StreamOp{start, start} : sim::StreamOp{host, host};
    const std::string cls = class_of(op);
    stats.time_by_class[cls] += c.time;
    switch (op.kind) {
      case OpKind::kFramework:
      case OpKind::kKernel: {
        for (int r = 0; r < ranks; ++r) {
          if (op.rank0_only && r != 0) continue;
          last[r] = m.gpus[r]->stream("compute").enqueue(c.time, op.work.name, {last[r], pending_input[r], issued},
                                                          static_cast<std::uint64_t>(op.work.bytes));
          pending_input[r] = last[r];
          end = std::max(end, last[r].end);
        }
        stats.flops += op.work.flops;
        break;
      }
      case OpKind::kAllReduce: {
        sim::StreamOp all = issued;
        for (int r = 0; r < ranks; ++r) all.end = std::max(all.end, last[r].end);
        for (int r = 0; r < ranks; ++r) {
          last[r] = m.gpus[r]->stream("compute").enqueue(c.time, op.work.name, {all}, static_cast<std::uint64_t>(op.bytes));
          pending_input[r] = last[r];
          end = std::max(end, last[r].end);
        }
        break;
      }
      case OpKind::kCopyH2D:
      case OpKind::kCopyD2H: {
        const char* stream = op.kind == OpKind::kCopyH2D ? "h2d" : "d2h";
        for (int r = 0; r < ranks; ++r) {
          const sim::StreamOp copy = m.gpus[r]->stream(stream).enqueue(c.time, op.work.name, {pending_input[r], issued},
                                                                      static_cast<std::uint64_t>(op.bytes));
          // A copy back (kv_store) runs beside compute; an input copy gates what follows.
          if (op.kind == OpKind::kCopyH2D || op.work.name != "kv_store") pending_input[r] = copy;
          end = std::max(end, copy.end);
        }
        (op.kind == OpKind::kCopyH2D ? stats.h2d_bytes : stats.d2h_bytes) += op.bytes;
        break;
      }
      case OpKind::kHostAttention: {
        sim::StreamOp ready = pending_input[0];
        for (int r = 1; r < ranks; ++r) ready.end = std::max(ready.end, pending_input[r].end);
        ready.end = std::max(ready.end, issued.end);
        // One host serves every rank: their attention runs one after another on the CPU.
        for (int r = 0; r < ranks; ++r) {
          const sim::StreamOp h = m.host->stream("cpu").enqueue(c.time, op.work.name, {ready},
                                                                static_cast<std::uint64_t>(op.work.bytes));
          pending_input[r] = h;
          end = std::max(end, h.end);
        }
        stats.flops += op.work.flops;
        break;
      }
    }
    // A streamed layer's last operation frees its buffers for the layer two streamed layers on.
    const bool layer_ends = i + 1 == plan.size() || plan[i + 1].layer != op.layer;
    if (layer_ends) {
      auto it = position.find(op.layer);
      if (it != position.end()) issue_layer(it->second + 2, last[0]);
    }
  }
  if (engine_step && stack.step_sync) {
    host_wait(end);  // the sampled tokens return to the host before the next step
  } else {
    host_span("issue");
  }
  end = std::max(end, host);
  co_await engine.sleep_until(end);
  stats.latency = end - start;
  stats.host_issue += host_issue_time(plan);
  stats.compute_busy += m.gpus[0]->stream("compute").busy() - compute_busy0;
  stats.h2d_busy += m.gpus[0]->stream("h2d").busy() - h2d_busy0;
  stats.host_busy += m.host->stream("cpu").busy() - host_busy0;
}

}  // namespace kvsim::models
