// app/runner/kv_quality_kind.h — kind "kv-quality": runs a KV policy on kvsim's small trained
// model over seeded episodes (passkey, key-value lookup, held-out text) and reports what it loses
// against the full cache and what work it does (models/lm/policy_eval.h defines every metric).
//
// Scenario: [policy] name + that policy's parameters (kvsim list policies); [workload] task,
// context, episodes, filler, question_in_prefill; [sampling] temperature/top_p for the draft
// acceptance; [model] checkpoint (default: the committed one). Sweeps over policy x budget x
// context are ordinary scenario sweeps. Prefilled episodes are cached per (task, context, seed,
// ...) inside one registry, so a sweep prefills each episode once.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "app/runner/kind.h"
#include "models/lm/policy_eval.h"

namespace kvsim::runner {

class KvQualityKind final : public Kind {
 public:
  KvQualityKind();
  std::string_view name() const override { return "kv-quality"; }
  std::string_view description() const override {
    return "a KV eviction/selection policy on the small trained model: recall, error, accuracy, acceptance, work";
  }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  struct Cache {
    std::mutex mu;
    std::map<std::string, std::shared_ptr<const models::lm::LmWeights>> weights;
    std::map<std::string, std::shared_ptr<const std::vector<models::lm::PreparedEpisode>>> episodes;
    std::map<std::string, std::shared_ptr<const std::string>> corpus;
  };
  scenarios::TableSchema schema_;
  std::shared_ptr<Cache> cache_ = std::make_shared<Cache>();
};

}  // namespace kvsim::runner
