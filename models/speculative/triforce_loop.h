// models/speculative/triforce_loop.h — TriForce's hierarchical speculative decoding and its
// baselines as a process on the engine: every forward of every level is an operation on the GPUs'
// compute streams (one span each on the run's timeline), drawn round by round with seeded
// acceptance.
//
// Methods (LoopMethod):
// - kTriforce: the paper's Algorithm 1. The 68M draft with a StreamingLLM cache drafts gamma1
//   tokens for the target with the retrieval cache, until gamma2 tokens are collected; the target
//   with its full cache verifies them in one forward.
// - kTriforceCode: the released code's variant (gamma1 = 1, every middle iteration verifies all
//   gamma2 + 1 positions, a bonus token on accept, gamma2 in {gamma, gamma + 1};
//   update_graph_cache copies every token generated so far into the retrieval cache each round).
// - kNaive: the 68M draft with a 1K StreamingLLM cache drafts directly for the full target, at the
//   best gamma in 1..8 by the closed form (the paper does not state its tuning).
// - kRetrievalWithoutHierarchy: the target with the retrieval cache drafts for the full target.
// - kStreamingWithHierarchy: the hierarchy with a StreamingLLM cache in the middle.
//
// Contract:
// - A batch decodes together: each sequence accepts independently; a level runs until every
//   sequence has collected its tokens (finished ones ride along, as padded batch kernels do).
// - Before the first round the retrieval cache is built once (every method but kNaive): its key
//   reads cross the host link for offloaded layers ("h2d" stream), then the chunk scoring and
//   gather run on "compute". The released code builds it before its timer starts, so
//   LoopResult::build is reported apart from the rounds. Each round: the middle stage, the full verification, the draft's
//   re-sync (hierarchical methods) and the retrieval cache's update with the round's tokens.
// - Durations come from LevelCosts (hardware/kernel_cost.h through models/execution.h), memoized
//   per shape; every rank of a tensor-parallel deployment runs each forward (the draft is
//   replicated, the target split), so each GPU's compute stream shows it.
// - The host thread (the deployment's software stack, on "host/python") issues every forward: a
//   graphed forward starts on the GPU after its replay is launched; an eager forward's ops are
//   issued one by one while the GPU runs them, so it is host-bound where they issue slower than
//   they run (the schedule of models/execution.h, memoized per shape by LevelCosts). Around the
//   forwards, the released code's eager ops and synchronizations (HostWork below, counted from the
//   code) run on the host while the GPU waits: each synchronization drains the streams first.
// - Random draws come only from the Rng handed in, in round order: the same seed gives the same
//   rounds.
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <tuple>
#include <vector>

#include "models/architecture.h"
#include "models/decode_curve.h"
#include "models/deployment.h"
#include "models/execution.h"
#include "models/speculative/acceptance.h"
#include "sim/engine.h"
#include "sim/random.h"
#include "sim/task.h"

namespace kvsim::models::spec {

enum class LoopMethod { kTriforce, kTriforceCode, kNaive, kRetrievalWithoutHierarchy, kStreamingWithHierarchy };
// The scenario names of the methods, in LoopMethod order.
inline constexpr std::string_view kLoopMethodNames[] = {"triforce", "triforce-code", "naive", "retrieval-wo-hierarchy",
                                                        "streamingllm-w-hierarchy"};
// Throws std::invalid_argument for an unknown name.
LoopMethod loop_method(std::string_view name);

struct LoopConfig {
  LoopMethod method = LoopMethod::kTriforce;
  int gamma1 = 2, gamma2 = 6;
  std::int64_t retrieval_budget = 4096;  // tokens in the retrieval (or middle StreamingLLM) cache
  std::int64_t chunk = 8;                // tokens per retrieval-cache chunk
  std::int64_t draft_cache = 256, naive_draft_cache = 1024;
  bool draft_graphs = true, retrieval_graphs = true, target_graphs = false;
  std::int64_t prompt = 0, generate = 256, batch = 1;
};

// Per-token acceptance probabilities, and optional recorded traces that replace them.
struct LoopAcceptance {
  double full = 0;    // retrieval level -> full target
  double draft = 0;   // 68M draft -> target
  double middle = 0;  // kStreamingWithHierarchy: StreamingLLM middle cache -> full
  AcceptanceTrace* full_trace = nullptr;
  AcceptanceTrace* draft_trace = nullptr;
};

enum class Level { kDraft, kRetrieval, kFull };

// The cost of each level's forward on a deployment, memoized per (level, q, cached, graphs).
class LevelCosts {
 public:
  LevelCosts(const Architecture& target, const Architecture& draft, const Deployment& dep, std::int64_t batch);
  // One forward over q new tokens per sequence after `cached`, for the whole batch, as the host
  // issues it (a graph replay, or the stack's eager ops one by one; models/execution.h).
  ForwardTiming forward(Level level, std::int64_t q, std::int64_t cached, bool graphs);
  // The retrieval cache's update with `tokens` new tokens (summed over the batch): read + write.
  sim::Duration cache_update(std::int64_t tokens) const;
  // The retrieval cache's construction after the prefill: the kernel, and the key reads over the
  // host link for offloaded layers (zero when the KV is on chip).
  sim::Duration build_kernel(std::int64_t prompt, std::int64_t budget, std::int64_t chunk) const;
  sim::Duration build_copy(std::int64_t prompt) const;
  const Deployment& deployment() const { return dep_; }
  int layers() const { return target_.layers; }

 private:
  double prompt_key_bytes(std::int64_t prompt) const;  // the prompt's keys, per GPU, whole batch

  const Architecture& target_;
  const Architecture& draft_;
  Deployment dep_, on_chip_;
  std::int64_t batch_;
  std::map<std::tuple<Level, std::int64_t, std::int64_t, bool>, ForwardTiming> memo_;
};

// The released code's host work around its forwards, counted from it (utils/decoding.py at
// TriForce commit 164c8c0; the counts are the brief's reading of the code). Methods whose code is
// not released (Algorithm 1 with gamma1 > 1, the naive policy, the ablations) are charged as if
// they issued the same calls per drafted and per verified token.
struct HostWork {
  int ops = 0, syncs = 0;
};
inline constexpr HostWork kRoundStart{0, 1};         // next_token.item()
inline constexpr HostWork kMiddleIteration{32, 8};   // multinomials, .item()s, rand, a blocking H2D, compare, writes
inline constexpr HostWork kVerifyInput{2, 1};        // torch.LongTensor(list).to(cuda), cat
inline constexpr HostWork kNormLogits{12, 0};        // eager norm_logits over (gamma2 + 1) x vocab, .float()
inline constexpr HostWork kAcceptedToken{6, 4};      // rand, blocking H2D, divide, min, compare; if; index H2D; EOS test
inline constexpr HostWork kRejectedToken{9, 6};      // the same, plus max_fn (a sync) and a multinomial
inline constexpr HostWork kBonusToken{2, 1};         // multinomial, .item()
inline constexpr HostWork kDraftSample{2, 1};        // a draft token without the middle check: multinomial, .item()
inline constexpr HostWork kResync{4, 0};             // evict_for_spec's copies
inline constexpr int kCacheUpdateOpsPerLayer = 2;    // update_graph_cache: a K and a V slice copy per layer

struct LoopResult {
  sim::Duration build = 0;     // the retrieval cache's construction
  sim::Duration decode = 0;    // build + every round (the engine time the process took)
  sim::Duration rounds_time() const { return decode - build; }
  sim::Duration host = 0;      // the host thread's eager ops, syncs and issue, over the rounds
  std::int64_t produced = 0;   // tokens over all sequences
  std::int64_t rounds = 0, drafted = 0, accepted = 0;  // drafted / accepted at the full verification
  std::int64_t rejected = 0;  // verifications that ended in a rejection (per-token: accepted / (accepted + rejected))
  std::int64_t middle_accepted = 0, middle_rejected = 0;  // the middle stage's (hierarchical methods)
  int naive_gamma = 1;
};

// The decode as one process. `machine` holds the deployment's GPUs (models::make_machine); all
// arguments must outlive the task.
sim::Task<void> run_loop(sim::Engine& engine, Machine& machine, LevelCosts& costs, const LoopConfig& config,
                         const LoopAcceptance& acceptance, sim::Rng& rng, LoopResult& result);

// `rngs.size()` independent decodes of the same prompt, one after another on the engine, each
// with its own acceptance stream and its own retrieval-cache build: a row's spread. `results`
// receives one LoopResult per run.
sim::Task<void> run_loops(sim::Engine& engine, Machine& machine, LevelCosts& costs, const LoopConfig& config,
                          const LoopAcceptance& acceptance, std::vector<sim::Rng>& rngs, std::vector<LoopResult>& results);

}  // namespace kvsim::models::spec
