// models/execution.h — a forward step scheduled on the engine's devices.
//
// Contract: run_step() charges every operation of a step plan (step_plan.h) to the streams of
// the machine's devices and resumes when the last one has ended:
//   - kernels and all-reduces on each GPU's "compute" stream, in plan order;
//   - an all-reduce starts when every rank has reached it (it depends on all ranks' last op);
//   - offloaded KV is loaded on the "h2d" copy stream into two buffers: the load of offloaded
//     layer j+2 may start once layer j's attention has ended (double buffering), so loads overlap
//     compute of earlier layers; new KV goes back on the "d2h" stream;
//   - host attention runs on the host device's "cpu" stream between a D2H and an H2D copy;
//   - the host thread ("python" stream of the host device) issues the ops one after another at
//     their Op::host cost (step_plan.h), and no op starts on a GPU before it was issued: an eager
//     forward whose ops issue slower than the GPU runs them is host-bound, a graphed one starts
//     after its replay. At an Op::host_sync the host first waits for every GPU's compute so far.
//     An engine step adds the stack's step overhead before the forward and a synchronization
//     after it; the step ends when both the GPUs and the host are done.
// All durations come from hardware/kernel_cost.h; nothing is executed, only charged.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hardware/kernel_cost.h"
#include "models/deployment.h"
#include "models/step_plan.h"
#include "sim/device.h"
#include "sim/engine.h"

namespace kvsim::models {

struct Machine {
  std::vector<std::unique_ptr<sim::Device>> gpus;  // streams: compute, h2d, d2h
  std::unique_ptr<sim::Device> host;               // streams: cpu (host compute), python (the driving thread)
};
Machine make_machine(sim::Engine& engine, const Deployment& dep, const std::string& prefix = "gpu");

struct StepStats {
  sim::Duration latency = 0;
  std::map<std::string, sim::Duration> time_by_class;  // rank 0: gemm, gemv, attention, ..., all-reduce, framework
  sim::Duration compute_busy = 0;   // rank 0 compute stream
  sim::Duration h2d_busy = 0;       // rank 0
  sim::Duration host_busy = 0;      // host compute (the cpu stream)
  sim::Duration host_issue = 0;     // the host thread's issue time (sum of Op::host)
  double h2d_bytes = 0;             // rank 0
  double d2h_bytes = 0;
  double flops = 0;                 // rank 0
};

// Cost of one op standing alone (what `kvsim explain` prints).
hardware::Cost op_cost(const Op& op, const Deployment& dep);

// One operation of duration `d` on stream `stream` of every GPU of the machine (tensor-parallel
// ranks run a forward together; a replicated model runs on each); resumes when the last has ended.
sim::Engine::SleepAwaiter on_every_gpu(sim::Engine& engine, Machine& machine, std::string_view stream, sim::Duration d,
                                       std::string_view label);

// The deployment and the plan are taken by value: a coroutine outlives the full expression that
// created it, so a reference to a temporary plan would dangle by the time the step runs. The
// engine, machine and stats must outlive the step. `engine_step`: a whole step of a decode loop
// (the stack's step overhead and the final synchronization), not a forward inside a loop that
// counts its own host work.
sim::Task<void> run_step(sim::Engine& engine, Machine& machine, Deployment dep, std::vector<Op> plan, StepStats& stats,
                         bool engine_step = false);

}  // namespace kvsim::models
