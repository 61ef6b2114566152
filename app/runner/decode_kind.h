// app/runner/decode_kind.h — kind "decode": forward steps of a zoo model on a deployment of
// profiled hardware (GPU-resident KV, TriForce-style offloading, or host attention; tensor
// parallelism), charged through the kernel cost model on the engine.
//
// Each step plans the forward (models/step_plan.h), checks memory (models/memory.h; a
// configuration that does not fit stops with the itemized numbers unless on_not_fit = "report"),
// and schedules it on the GPUs' streams (models/execution.h). The context grows by the step's
// query tokens after every step. `kvsim explain` prints one step per layer and kernel.
#pragma once

#include <memory>

#include "app/runner/kind.h"
#include "app/runner/resources.h"
#include "hardware/profile.h"
#include "models/architecture.h"
#include "models/deployment.h"
#include "models/memory.h"
#include "models/step_plan.h"

namespace kvsim::runner {

class DecodeKind final : public Kind {
 public:
  explicit DecodeKind(std::shared_ptr<const Resources> resources);
  std::string_view name() const override { return "decode"; }
  std::string_view description() const override {
    return "forward steps of a model on GPUs (KV on GPU, offloaded, or attended on the host), from hardware profiles";
  }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;
  bool explain(const scenarios::ScenarioPoint& point, std::ostream& out) const override;

  struct Setup {
    models::Architecture arch;
    models::Deployment dep;
    models::StepShape shape;          // the first step
    std::int64_t steps = 1;
    std::vector<models::MemoryItem> residents;
    bool report_not_fit = false;
    double paper_latency = 0;         // from [reference], 0 if absent
    double paper_memory = 0;
    std::string reference_source;
  };
  Setup setup(const scenarios::ScenarioPoint& point) const;

 private:
  std::shared_ptr<const Resources> res_;
  scenarios::TableSchema schema_;
};

}  // namespace kvsim::runner
