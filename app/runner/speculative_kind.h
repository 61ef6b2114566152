// app/runner/speculative_kind.h — kind "speculative": TriForce's hierarchical speculative decoding
// and its baselines in cost mode, every forward charged through the decode cost model.
//
// Methods: "triforce" (paper Algorithm 1: the 68M draft with a StreamingLLM cache drafts gamma1
// tokens for the target with a retrieval cache until gamma2 tokens are collected, then the target
// with its full cache verifies them in one forward), "triforce-code" (the released code's variant:
// gamma1 = 1, each middle iteration verifies all gamma2 + 1 positions, bonus on accept),
// "naive" (the 68M draft with a 1K StreamingLLM cache drafts directly for the full target; the
// best gamma in 1..8 is used), "retrieval-wo-hierarchy" (target + retrieval cache drafts for the
// full target) and "streamingllm-w-hierarchy" (the hierarchy with a StreamingLLM cache in the
// middle). The baseline is autoregressive decoding on its own deployment (which may differ:
// TriForce's 2x4090 baseline keeps more layers on chip; the 1x4090 one is host attention).
//
// Acceptance comes from parameters (issue #6's source (b)): per-round rates in TriForce's
// definition (accepted / drafted per round), converted to per-token probabilities by
// models/speculative.h. Rounds are simulated on the engine with a seeded stream until the
// generation length is reached; each round charges draft forwards, retrieval-cache forwards, the
// full verification, the draft's re-sync and the retrieval cache update.
#pragma once

#include "app/runner/kind.h"
#include "app/runner/resources.h"

namespace kvsim::runner {

class SpeculativeKind final : public Kind {
 public:
  explicit SpeculativeKind(std::shared_ptr<const Resources> res);
  std::string_view name() const override { return "speculative"; }
  std::string_view description() const override {
    return "TriForce hierarchical speculative decoding and its baselines, forwards charged on modeled GPUs";
  }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
  scenarios::TableSchema schema_;
  // Small-model episodes (acceptance source "small-model"), prefilled once per registry: a sweep
  // over budgets or chunk sizes reuses them.
  struct EpisodeCache;
  std::shared_ptr<EpisodeCache> episodes_;
};

// Kind "speculative-levels": TriForce Fig. 1's per-level cost at one context: the draft with its
// StreamingLLM cache, the target with the retrieval cache, the target with the full cache; each
// level's one-token forward latency (cost model) and its GPU memory (weights + the KV it holds).
class SpeculativeLevelsKind final : public Kind {
 public:
  explicit SpeculativeLevelsKind(std::shared_ptr<const Resources> res);
  std::string_view name() const override { return "speculative-levels"; }
  std::string_view description() const override {
    return "per-level forward latency and memory of TriForce's hierarchy (Fig. 1)";
  }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
  scenarios::TableSchema schema_;
};

}  // namespace kvsim::runner
