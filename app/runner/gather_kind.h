// app/runner/gather_kind.h — kind "mpc-gather": MPCache's token-gathering comparison. Gathering k
// of T secret-selected tokens (one-hot over T, then a one-hot x KV product) against gathering the
// same tokens as k / s clusters of s = T / C tokens (one-hot over C clusters, then a product with
// the cluster-packed KV), for H heads of dimension d, under a protocol on a simulated network.
#pragma once

#include "app/runner/kind.h"
#include "app/runner/resources.h"

namespace kvsim::runner {

class GatherKind final : public Kind {
 public:
  explicit GatherKind(std::shared_ptr<const Resources> res);
  std::string_view name() const override { return "mpc-gather"; }
  std::string_view description() const override { return "token-level vs cluster-level one-hot gathering under MPC"; }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  std::shared_ptr<const Resources> res_;
  scenarios::TableSchema schema_;
};

}  // namespace kvsim::runner
