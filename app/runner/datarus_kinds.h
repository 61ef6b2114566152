// app/runner/datarus_kinds.h — the four Datarus-R1 cost scenarios (../shared/briefs/datarus.md §5),
// each a scenario kind whose rows form a `kvsim reproduce datarus` table:
//   solve-cost          S1: GPU-seconds and energy per answer and per correct answer, replaying
//                           answer-length traces through the decode cost model;
//   grpo-rollout        S2: GRPO rollout memory (batched / shared-prefix / sequential) and time;
//   reference-sharding  S3: a frozen reference model sharded over N GPUs vs replicated, with the
//                           all-gather run as messages over links on the engine;
//   agentic-turns       S4: multi-turn agent sessions with and without prefix caching, and the
//                           KV an idle session holds during tool waits, with and without eviction.
#pragma once

#include <memory>

#include "app/runner/kind.h"
#include "app/runner/resources.h"

namespace kvsim::runner {

#define KVSIM_DECLARE_KIND(Class, kind_name, desc)                                                 \
  class Class final : public Kind {                                                                \
   public:                                                                                         \
    explicit Class(std::shared_ptr<const Resources> res);                                          \
    std::string_view name() const override { return kind_name; }                                   \
    std::string_view description() const override { return desc; }                                \
    const scenarios::TableSchema& schema() const override { return schema_; }                      \
    KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;     \
                                                                                                   \
   private:                                                                                        \
    std::shared_ptr<const Resources> res_;                                                         \
    scenarios::TableSchema schema_;                                                                \
  };

KVSIM_DECLARE_KIND(SolveCostKind, "solve-cost",
                   "cost per answer and per solved problem from answer-length statistics (Datarus S1)")
KVSIM_DECLARE_KIND(GrpoRolloutKind, "grpo-rollout",
                   "GRPO rollout memory and time: batched, shared-prefix KV, sequential (Datarus S2)")
KVSIM_DECLARE_KIND(ReferenceShardingKind, "reference-sharding",
                   "reference model sharded over N GPUs vs replicated; all-gather on the engine (Datarus S3)")
KVSIM_DECLARE_KIND(AgenticTurnsKind, "agentic-turns",
                   "multi-turn agent sessions with and without prefix caching; idle KV (Datarus S4)")

#undef KVSIM_DECLARE_KIND

}  // namespace kvsim::runner
