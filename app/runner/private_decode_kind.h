// app/runner/private_decode_kind.h — kind "private-decode": one decode step of a model under MPC
// (private_decode/run.h) for each listed KV method, on a simulated network on the point's engine (one after another), in cost mode
// for zoo models or in execute mode on the small trained model. Reports per method the step's
// latency and communication and their breakdown by category, and (MPCache's reproduction) the
// reductions of MPCache against the full cache.
#pragma once

#include "app/runner/kind.h"
#include "app/runner/resources.h"

namespace kvsim::runner {

class PrivateDecodeKind final : public Kind {
 public:
  explicit PrivateDecodeKind(std::shared_ptr<const Resources> res);
  std::string_view name() const override { return "private-decode"; }
  std::string_view description() const override {
    return "a decode step under MPC (ABY3 / semi2k) with KV selection methods: latency, communication, breakdown";
  }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
  scenarios::TableSchema schema_;
};

}  // namespace kvsim::runner
