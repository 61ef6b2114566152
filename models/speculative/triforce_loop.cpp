// models/speculative/triforce_loop.cpp — see triforce_loop.h.
#include "models/speculative/triforce_loop.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "hardware/kernel_cost.h"
#include "models/decode_curve.h"
#include "models/speculative/math.h"
#include "sim/device.h"

namespace kvsim::models::spec {

LoopMethod loop_method(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kLoopMethodNames); ++i)
    if (kLoopMethodNames[i] == name) return static_cast<LoopMethod>(i);
  throw std::invalid_argument("unknown speculative method '" + std::string(name) + "'");
}

LevelCosts::LevelCosts(const Architecture& target, const Architecture& draft, const Deployment& dep, std::int64_t batch)
    : target_(target), draft_(draft), dep_(dep), on_chip_(dep), batch_(batch) {
  on_chip_.kv = KvPlacement::kGpu;  // the retrieval cache and the draft keep their KV on chip
}

ForwardTiming LevelCosts::forward(Level level, std::int64_t q, std::int64_t cached, bool graphs) {
  const auto key = std::make_tuple(level, q, cached, graphs);
  if (auto it = memo_.find(key); it != memo_.end()) return it->second;
  Deployment d = level == Level::kFull ? dep_ : on_chip_;
  d.cuda_graphs = graphs;
  if (level == Level::kDraft) d.tp = 1;  // the draft is replicated on every GPU, not split
  const Architecture& a = level == Level::kDraft ? draft_ : target_;
  // Not an engine step: the loop charges its own sampling and synchronizations (HostWork).
  const ForwardTiming t = time_forward(a, d, batch_, q, cached, true, false);
  memo_.emplace(key, t);
  return t;
}

sim::Duration LevelCosts::cache_update(std::int64_t tokens) const {
  const hardware::KernelWork k{"retrieval_update", hardware::KernelClass::kElementwise, 0,
                               2.0 * static_cast<double>(tokens) * static_cast<double>(target_.kv_bytes_per_token()) / dep_.tp};
  return hardware::kernel_cost(dep_.gpu, k, false).time;
}

double LevelCosts::prompt_key_bytes(std::int64_t prompt) const {
  const double kv_tok = static_cast<double>(target_.kv_bytes_per_token()) / dep_.tp;
  return static_cast<double>(batch_) * static_cast<double>(prompt) * kv_tok / 2;
}

sim::Duration LevelCosts::build_kernel(std::int64_t prompt, std::int64_t budget, std::int64_t chunk) const {
  // Every prompt key is read to form the chunk means, the chunks are scored, and the budget's K
  // and V are gathered into the cache.
  const double b = static_cast<double>(batch_);
  const double kv_tok = static_cast<double>(target_.kv_bytes_per_token()) / dep_.tp;
  const double keys = prompt_key_bytes(prompt);
  const double chunks = static_cast<double>(prompt) / static_cast<double>(chunk);
  const hardware::KernelWork k{"retrieval_build", hardware::KernelClass::kElementwise,
                               2.0 * b * chunks * static_cast<double>(target_.heads * target_.head_dim) / dep_.tp,
                               keys + 2.0 * b * static_cast<double>(budget) * kv_tok};
  return hardware::kernel_cost(dep_.gpu, k, false).time;
}

sim::Duration LevelCosts::build_copy(std::int64_t prompt) const {
  if (dep_.kv != KvPlacement::kOffload) return 0;
  const double keys = prompt_key_bytes(prompt);
  const double offloaded = static_cast<double>(target_.layers - dep_.on_chip_layers) / static_cast<double>(target_.layers);
  return hardware::copy_cost(dep_.host_link, keys * offloaded, true).time;
}

sim::Task<void> run_loop(sim::Engine& engine, Machine& m, LevelCosts& costs, const LoopConfig& c, const LoopAcceptance& acc,
                         sim::Rng& rng, LoopResult& r) {
  const sim::Time start = engine.now();
  const LoopMethod method = c.method;
  const hardware::StackProfile& stack = costs.deployment().stack;
  sim::Stream& python = m.host->stream("python");
  // Host work while the GPU waits (each of these ends in a synchronization or precedes one).
  auto host = [&](HostWork w, std::int64_t times, std::string_view label) {
    const sim::Duration d = times * (w.ops * stack.op_issue + w.syncs * stack.sync);
    r.host += d;
    return engine.sleep_until(d > 0 ? python.enqueue(d, label).end : engine.now());
  };
  // A forward issued by the host: the GPUs start once its first op is issued (a graph: after the
  // replay) and the forward lasts what its schedule found, host-bound or not.
  auto forward = [&](Level level, std::int64_t q, std::int64_t cached, bool graphs, std::string_view label) {
    const ForwardTiming f = costs.forward(level, q, cached, graphs);
    r.host += f.issue;
    const sim::StreamOp issued = python.enqueue(f.issue, graphs ? "graph-replay" : "eager-issue");
    const sim::StreamOp first{issued.start, issued.start + f.lead};
    sim::Time end = issued.end;
    for (auto& g : m.gpus) end = std::max(end, g->stream("compute").enqueue(f.latency - f.lead, label, {first}).end);
    return engine.sleep_until(end);
  };
  const bool hierarchical = method == LoopMethod::kTriforce || method == LoopMethod::kTriforceCode ||
                            method == LoopMethod::kStreamingWithHierarchy;
  // One round of drafts at per-token acceptance `alpha`, or from the recorded trace when one is given.
  auto draft_round = [&](double alpha, int gamma) {
    return acc.draft_trace ? acc.draft_trace->round(gamma) : simulate_round(alpha, gamma, rng);
  };

  if (method != LoopMethod::kNaive) {
    if (const sim::Duration copy = costs.build_copy(c.prompt); copy > 0)
      co_await on_every_gpu(engine, m, "h2d", copy, "retrieval-build-keys");
    co_await on_every_gpu(engine, m, "compute", costs.build_kernel(c.prompt, c.retrieval_budget, c.chunk), "retrieval-build");
  }
  r.build = engine.now() - start;

  if (method == LoopMethod::kNaive) {
    // The naive policy's best gamma, by the expected cost of the round the loop below charges
    // (forwards as issued, the host work around them; the paper's tuning is not stated).
    auto host_s = [&](HostWork w) { return sim::to_seconds(w.ops * stack.op_issue + w.syncs * stack.sync); };
    auto issued_s = [&](Level level, std::int64_t q, std::int64_t cached, bool graphs) {
      return sim::to_seconds(costs.forward(level, q, cached, graphs).latency);
    };
    double best = 1e300;
    for (int g = 1; g <= 8; ++g) {
      const double all = std::pow(acc.draft, g);  // every draft accepted: a bonus sample, no rejection
      const double round = host_s(kRoundStart) +
                           g * (issued_s(Level::kDraft, 1, c.naive_draft_cache, c.draft_graphs) + host_s(kDraftSample)) +
                           host_s(kVerifyInput) + issued_s(Level::kFull, g + 1, c.prompt, c.target_graphs) + host_s(kNormLogits) +
                           expected_accepted(acc.draft, g) * host_s(kAcceptedToken) + (1 - all) * host_s(kRejectedToken) +
                           all * host_s(kBonusToken);
      const double per_token = round / expected_tokens(acc.draft, g);
      if (per_token < best) {
        best = per_token;
        r.naive_gamma = g;
      }
    }
  }
  const std::int64_t batch = c.batch;
  std::vector<int> collected(static_cast<std::size_t>(batch));  // tokens handed to the full verification
  auto pending = [&] { return *std::min_element(collected.begin(), collected.end()) < c.gamma2; };
  while (r.produced < c.generate * batch) {
    const std::int64_t ctx = c.prompt + r.produced / batch;
    std::fill(collected.begin(), collected.end(), 0);
    co_await host(kRoundStart, 1, "round-start");
    if (method == LoopMethod::kTriforce || method == LoopMethod::kStreamingWithHierarchy) {
      const bool triforce = method == LoopMethod::kTriforce;
      const double a_mid = triforce ? acc.draft : acc.middle;
      while (pending()) {
        for (int i = 0; i < c.gamma1; ++i)
          co_await forward(Level::kDraft, 1, c.draft_cache, c.draft_graphs, "draft");
        co_await forward(Level::kRetrieval, c.gamma1 + 1, c.retrieval_budget, c.retrieval_graphs, "retrieval-verify");
        co_await host(kMiddleIteration, c.gamma1, "middle-host");
        for (auto& n : collected)
          if (n < c.gamma2) {
            const int ok = triforce ? draft_round(a_mid, c.gamma1) : simulate_round(a_mid, c.gamma1, rng);
            r.middle_accepted += ok;
            r.middle_rejected += ok < c.gamma1 ? 1 : 0;
            n += ok + 1;
          }
      }
    } else if (method == LoopMethod::kTriforceCode) {
      while (pending()) {
        co_await forward(Level::kDraft, 1, c.draft_cache, c.draft_graphs, "draft");
        co_await forward(Level::kRetrieval, c.gamma2 + 1, c.retrieval_budget, c.retrieval_graphs, "retrieval-verify");
        co_await host(kMiddleIteration, 1, "middle-host");
        for (auto& n : collected)
          if (n < c.gamma2) {
            const int ok = draft_round(acc.draft, 1);
            r.middle_accepted += ok;
            r.middle_rejected += 1 - ok;
            n += ok == 1 ? 2 : 1;
          }
      }
    } else if (method == LoopMethod::kRetrievalWithoutHierarchy) {
      for (int i = 0; i < c.gamma2; ++i) {
        co_await forward(Level::kRetrieval, 1, c.retrieval_budget, c.retrieval_graphs, "retrieval-draft");
        co_await host(kDraftSample, 1, "draft-sample");
      }
      std::fill(collected.begin(), collected.end(), c.gamma2);
    } else {  // naive
      for (int i = 0; i < r.naive_gamma; ++i) {
        co_await forward(Level::kDraft, 1, c.naive_draft_cache, c.draft_graphs, "draft");
        co_await host(kDraftSample, 1, "draft-sample");
      }
      std::fill(collected.begin(), collected.end(), r.naive_gamma);
    }
    // The full verification of everything collected, then the draft re-sync and cache update.
    const int widest = *std::max_element(collected.begin(), collected.end());
    co_await host(kVerifyInput, 1, "verify-input");
    co_await forward(Level::kFull, widest + 1, ctx, c.target_graphs, "full-verify");
    co_await host(kNormLogits, 1, "norm-logits");
    std::int64_t out_tokens = 0, rejections = 0;
    int longest_accepted = 0;
    for (const int n : collected) {
      const int accepted = method == LoopMethod::kNaive ? draft_round(acc.draft, n)
                           : acc.full_trace            ? acc.full_trace->round(n)
                                                       : simulate_round(acc.full, n, rng);
      out_tokens += accepted + 1;
      longest_accepted = std::max(longest_accepted, accepted);
      rejections += accepted < n ? 1 : 0;
      r.drafted += n;
      r.accepted += accepted;
      r.rejected += accepted < n ? 1 : 0;
    }
    // The acceptance loop on the host: each accepted token's checks, then the rejected one's
    // (with its replacement sample) or the bonus token's sample. Batched, a position's checks
    // run on the whole batch at once, as the middle stage's do (one host step per position, not
    // per sequence): the loop lasts as long as its longest acceptance, and the replacement and
    // bonus samples are one step each for the rows that need them. At batch 1 this is the
    // released code's loop.
    co_await host(kAcceptedToken, longest_accepted, "accept-checks");
    co_await host(kRejectedToken, rejections > 0 ? 1 : 0, "reject-resample");
    co_await host(kBonusToken, rejections < batch ? 1 : 0, "bonus-sample");
    if (hierarchical) {
      co_await forward(Level::kDraft, widest + 2, c.draft_cache, c.draft_graphs, "draft-resync");
      co_await host(kResync, 1, "resync-evict");
    }
    // The released code's update_graph_cache copies every token generated so far, each round.
    const std::int64_t copied = method == LoopMethod::kTriforceCode ? r.produced + out_tokens : out_tokens;
    if (method != LoopMethod::kNaive) {
      // Eager slice copies, one K and one V per layer: issued while the GPU copies.
      const sim::Duration issue = static_cast<sim::Duration>(kCacheUpdateOpsPerLayer) * costs.layers() * stack.op_issue;
      r.host += issue;
      python.enqueue(issue, "cache-update-issue");
      co_await on_every_gpu(engine, m, "compute", std::max(issue, costs.cache_update(copied)), "retrieval-update");
    }
    r.produced += out_tokens;
    ++r.rounds;
  }
  r.decode = engine.now() - start;
}

sim::Task<void> run_loops(sim::Engine& engine, Machine& machine, LevelCosts& costs, const LoopConfig& config,
                          const LoopAcceptance& acceptance, std::vector<sim::Rng>& rngs, std::vector<LoopResult>& results) {
  results.assign(rngs.size(), LoopResult{});
  for (std::size_t i = 0; i < rngs.size(); ++i) co_await run_loop(engine, machine, costs, config, acceptance, rngs[i], results[i]);
}

}  // namespace kvsim::models::spec
