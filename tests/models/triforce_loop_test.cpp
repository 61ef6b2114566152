// tests/models/triforce_loop_test.cpp — TriForce's loop as a process on the engine: with acceptance
// fixed at 0 or 1 every round is known, so the schedule (spans per level, the engine time) is
// computed by hand from the levels' costs.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "hardware/profile.h"
#include "models/architecture.h"
#include "models/speculative/triforce_loop.h"

namespace kvsim::models::spec {
namespace {

struct Levels {
  hardware::Catalog cat = hardware::Catalog::load(hardware::Catalog::default_dir());
  Zoo zoo = Zoo::load(Zoo::default_dir());
  const Architecture& target = zoo.get("yarn-llama2-7b-128k");
  const Architecture& draft = zoo.get("llama-68m");
};

// Runs the loop alone on a fresh engine.
struct LoopRun {
  sim::Engine engine{1};
  Machine machine;
  LevelCosts costs;
  LoopResult result;
  LoopRun(const Levels& f, const Deployment& dep, const LoopConfig& c, const LoopAcceptance& acc)
      : machine((engine.timeline().keep_spans(true), make_machine(engine, dep))), costs(f.target, f.draft, dep, c.batch) {
    sim::Rng rng = engine.random("acceptance");
    engine.spawn(run_loop(engine, machine, costs, c, acc, rng, result), "loop");
    engine.run();
  }
};

std::map<std::string, int> spans_by_label(const sim::Engine& e, const std::string& resource) {
  std::map<std::string, int> n;
  for (const auto& s : e.timeline().spans())
    if (e.timeline().name(s.resource) == resource) ++n[e.timeline().name(s.label)];
  return n;
}

TEST(TriforceLoop, ReleasedLoopAllRejectedIsHandComputed) {
  Levels f;
  const Deployment dep = standard_deployment(f.cat, "a100-80gb-sxm", 1, KvPlacement::kGpu, 0);
  LoopConfig c;
  c.method = LoopMethod::kTriforceCode;
  c.gamma2 = 6;
  c.prompt = 120000;
  c.generate = 3;
  LoopAcceptance acc;  // draft and full acceptance 0: every middle iteration adds one token,
                       // every verification accepts none, so each round produces one token.
  LoopRun run(f, dep, c, acc);
  const LoopResult& r = run.result;
  LevelCosts& costs = run.costs;
  EXPECT_EQ(r.rounds, 3);
  EXPECT_EQ(r.produced, 3);
  EXPECT_EQ(r.drafted, 18);
  EXPECT_EQ(r.accepted, 0);
  // The host thread (dep.stack): work between forwards in ops and syncs, graph replays, and the
  // eager full verification issued op by op beside the GPU.
  const hardware::StackProfile& st = dep.stack;
  auto host = [&](HostWork w) { return w.ops * st.op_issue + w.syncs * st.sync; };
  const sim::Duration replay = st.graph_replay;
  // A graphed forward: the replay, then the GPU's kernels (its latency includes the replay).
  const ForwardTiming draft = costs.forward(Level::kDraft, 1, c.draft_cache, true);
  EXPECT_EQ(draft.lead, replay);
  EXPECT_EQ(draft.issue, replay);
  const sim::Duration middle = draft.latency + costs.forward(Level::kRetrieval, c.gamma2 + 1, c.retrieval_budget, true).latency +
                               host(kMiddleIteration);
  const sim::Duration full_issue = (32 * st.eager_ops_per_layer + st.ops_outside_layers) * st.op_issue;
  sim::Duration rounds = 0;
  for (int i = 0; i < 3; ++i) {
    const ForwardTiming full = costs.forward(Level::kFull, 7, c.prompt + i, false);
    EXPECT_EQ(full.issue, full_issue);
    EXPECT_GT(full.latency, full_issue) << "at 120K the eager verification is GPU-bound";
    const sim::Duration update_issue = 2 * 32 * st.op_issue;
    rounds += host(kRoundStart) + 6 * middle + host(kVerifyInput) + full.latency + host(kNormLogits) + host(kRejectedToken) +
              costs.forward(Level::kDraft, 8, c.draft_cache, true).latency + host(kResync) +
              std::max(update_issue, costs.cache_update(i + 1));  // every token so far
  }
  const sim::Duration build = costs.build_kernel(c.prompt, c.retrieval_budget, c.chunk);
  EXPECT_GT(build, 0);
  EXPECT_EQ(r.build, build);
  EXPECT_EQ(r.decode, build + rounds);  // the host waits for the GPU at every sync: nothing overlaps
  EXPECT_EQ(run.engine.now(), r.decode);

  const auto n = spans_by_label(run.engine, "gpu0/compute");
  EXPECT_EQ(n.at("draft"), 18);
  EXPECT_EQ(n.at("retrieval-verify"), 18);
  EXPECT_EQ(n.at("full-verify"), 3);
  EXPECT_EQ(n.at("draft-resync"), 3);
  EXPECT_EQ(n.at("retrieval-update"), 3);
  EXPECT_EQ(n.at("retrieval-build"), 1);
  const auto h = spans_by_label(run.engine, "host/python");
  EXPECT_EQ(h.at("graph-replay"), 18 + 18 + 3);
  EXPECT_EQ(h.at("eager-issue"), 3);
  EXPECT_EQ(h.at("middle-host"), 18);
  EXPECT_EQ(h.at("reject-resample"), 3);
}

// An eager retrieval level on a short cache is host-bound: its forward lasts about as long as the
// host takes to issue its ops (plus the last ops' GPU time), and the GPU idles between them.
TEST(TriforceLoop, EagerForwardIsHostBoundWhenTheHostIsSlower) {
  Levels f;
  const Deployment dep = standard_deployment(f.cat, "a100-80gb-sxm", 1, KvPlacement::kGpu, 0);
  LoopConfig c;
  c.method = LoopMethod::kTriforceCode;
  c.gamma2 = 2;
  c.prompt = 2048;
  c.generate = 1;
  c.retrieval_budget = 256;
  c.retrieval_graphs = false;
  LoopAcceptance acc;
  LoopRun run(f, dep, c, acc);
  const ForwardTiming t = run.costs.forward(Level::kRetrieval, c.gamma2 + 1, c.retrieval_budget, false);
  const sim::Duration issue = t.issue;
  EXPECT_EQ(issue, (32 * dep.stack.eager_ops_per_layer + dep.stack.ops_outside_layers) * dep.stack.op_issue);
  Deployment gpu_only = dep;
  gpu_only.stack = f.cat.stack("none");
  const ForwardTiming gpu = LevelCosts(f.target, f.draft, gpu_only, 1).forward(Level::kRetrieval, c.gamma2 + 1, c.retrieval_budget, false);
  ASSERT_GT(issue, 2 * gpu.latency) << "1,450 eager ops at 30 us outlast a 7B forward over 256 cached tokens";
  EXPECT_GE(t.latency, issue);
  EXPECT_LT(t.latency, issue + gpu.latency / 4) << "host-bound: little GPU time is not hidden behind the issue";
  int seen = 0;
  for (const auto& s : run.engine.timeline().spans())
    if (run.engine.timeline().name(s.label) == "retrieval-verify") {
      EXPECT_EQ(s.end - s.start, t.latency - t.lead);
      ++seen;
    }
  EXPECT_EQ(seen, 2);  // two middle iterations of one token each (acceptance 0)
}

TEST(TriforceLoop, AllAcceptedHierarchyCollectsGammaTwoAndABonus) {
  Levels f;
  const Deployment dep = standard_deployment(f.cat, "a100-80gb-sxm", 1, KvPlacement::kGpu, 0);
  LoopConfig c;
  c.method = LoopMethod::kTriforce;
  c.gamma1 = 2;
  c.gamma2 = 6;
  c.prompt = 4096;
  c.generate = 14;  // two rounds of 6 accepted + 1 bonus
  LoopAcceptance acc;
  acc.draft = 1.0;
  acc.full = 1.0;
  LoopRun run(f, dep, c, acc);
  const LoopResult& r = run.result;
  EXPECT_EQ(r.rounds, 2);
  EXPECT_EQ(r.produced, 14);
  EXPECT_EQ(r.accepted, 12);
  // Each middle iteration drafts gamma1 = 2 and collects 3 (2 accepted + the retrieval level's own):
  // two iterations reach gamma2 = 6.
  const auto n = spans_by_label(run.engine, "gpu0/compute");
  EXPECT_EQ(n.at("draft"), 2 * 2 * 2);
  EXPECT_EQ(n.at("retrieval-verify"), 2 * 2);
  EXPECT_EQ(n.at("full-verify"), 2);
}

// Batched, the host checks a position for the whole batch at once: with every draft accepted,
// each round's acceptance loop lasts gamma2 positions and samples one bonus step, whatever the
// batch size (a loop per sequence would take batch times as long).
TEST(TriforceLoop, BatchedAcceptanceChecksRunOncePerPosition) {
  Levels f;
  const Deployment dep = standard_deployment(f.cat, "a100-80gb-sxm", 1, KvPlacement::kGpu, 0);
  auto host_time = [&](int batch, const std::string& label, int& rounds) {
    LoopConfig c;
    c.method = LoopMethod::kTriforceCode;
    c.gamma2 = 6;
    c.prompt = 4096;
    c.generate = 14;  // two rounds of 6 accepted + 1 bonus per sequence
    c.batch = batch;
    LoopAcceptance acc;
    acc.draft = 1.0;
    acc.full = 1.0;
    LoopRun run(f, dep, c, acc);
    rounds = static_cast<int>(run.result.rounds);
    sim::Duration d = 0;
    for (const auto& s : run.engine.timeline().spans())
      if (run.engine.timeline().name(s.label) == label) d += s.end - s.start;
    return d;
  };
  const hardware::StackProfile& st = dep.stack;
  auto host = [&](HostWork w) { return w.ops * st.op_issue + w.syncs * st.sync; };
  for (int batch : {1, 3}) {
    int rounds = 0;
    EXPECT_EQ(host_time(batch, "accept-checks", rounds), 2 * 6 * host(kAcceptedToken)) << batch;
    EXPECT_EQ(rounds, 2) << batch;
    EXPECT_EQ(host_time(batch, "bonus-sample", rounds), 2 * host(kBonusToken)) << batch;
  }
}

TEST(TriforceLoop, TensorParallelForwardsRunOnEveryGpu) {
  Levels f;
  const Deployment dep = standard_deployment(f.cat, "rtx4090", 2, KvPlacement::kOffload, 9);
  LoopConfig c;
  c.method = LoopMethod::kNaive;
  c.prompt = 130048;
  c.generate = 4;
  LoopRun run(f, dep, c, LoopAcceptance{});
  const LoopResult& r = run.result;
  EXPECT_EQ(r.build, 0);  // the naive policy builds no retrieval cache
  EXPECT_EQ(spans_by_label(run.engine, "gpu0/compute"), spans_by_label(run.engine, "gpu1/compute"));
  EXPECT_EQ(spans_by_label(run.engine, "gpu1/compute").at("full-verify"), r.rounds);
  EXPECT_THROW(loop_method("triforce-paper"), std::invalid_argument);
  EXPECT_EQ(loop_method("naive"), LoopMethod::kNaive);
}

}  // namespace
}  // namespace kvsim::models::spec
