// app/runner/speculative_kind.h — kind "speculative": TriForce's hierarchical speculative decoding
// and its baselines in cost mode, every forward charged through the decode cost model.
//
// The loop itself (methods, rounds, what each round charges) is models/speculative/triforce_loop.h;
// this kind reads the scenario, turns acceptance into per-token probabilities (parameters:
// TriForce's per-round rates through models/speculative/math.h; small-model: execute mode; trace:
// recorded outcomes; models/speculative/acceptance.h), checks memory, runs the loop as a process
// on the point's engine and reports the rows. The baseline is autoregressive decoding on its own
// deployment (which may differ: TriForce's 2x4090 baseline keeps more layers on chip; the 1x4090
// one is host attention).
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
