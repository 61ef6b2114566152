// app/runner/exchange_kind.h — kind "exchange": parties that compute on devices and exchange
// messages over links, round after round.
//
// The model of one round r for each party:
//   1. its input for round r is copied to its device on the "h2d" stream (double buffered: the
//      copy for round r+1 is enqueued as soon as round r's compute starts, so copy and compute
//      overlap);
//   2. compute of `flops_per_round` on the "compute" stream, after that copy;
//   3. one message to every neighbour (every link the party is on), then one message received
//      from every neighbour. Message sizes vary by ±`size_jitter` from a seeded stream per party.
// This exercises the whole path (scenario -> engine -> links/devices -> HDF5) with charged
// durations from the scenario's rates; real hardware profiles arrive with issue #4.
#pragma once

#include "app/runner/kind.h"

namespace kvsim::runner {

class ExchangeKind final : public Kind {
 public:
  ExchangeKind();
  std::string_view name() const override { return "exchange"; }
  std::string_view description() const override {
    return "parties compute on devices and exchange messages over links, round by round";
  }
  const scenarios::TableSchema& schema() const override { return schema_; }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const override;

 private:
  scenarios::TableSchema schema_;
};

}  // namespace kvsim::runner
