// app/runner/resources.h — the hardware catalog and the model zoo, loaded once per registry and
// shared by the kinds that need them, and the [deployment] table every hardware kind accepts.
//
// Contract: loading is lazy (a kind that never runs never reads a profile) and thread-safe (sweep
// points on several threads share one copy); a bad profile surfaces as a ScenarioError the first
// time a kind asks.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "hardware/profile.h"
#include "models/architecture.h"
#include "models/deployment.h"
#include "scenarios/scenario.h"

namespace kvsim::runner {

class Resources {
 public:
  const hardware::Catalog& catalog() const { load(); return loaded_->catalog; }
  const models::Zoo& zoo() const { load(); return loaded_->zoo; }

 private:
  struct Loaded {
    hardware::Catalog catalog;
    models::Zoo zoo;
  };
  void load() const;
  mutable std::once_flag once_;
  mutable std::unique_ptr<Loaded> loaded_;
};

// Keys of a deployment table: gpu, gpus, host, host_link, peer_link, kv, on_chip_layers,
// cuda_graphs, host_threads, host_kv_dtype, stack and the *_overrides tables.
scenarios::TableSchema deployment_schema();
// Builds a deployment from a validated table at `key` (e.g. "deployment") of the point.
models::Deployment make_deployment(const Resources& res, const scenarios::ScenarioPoint& point, const toml::table& t,
                                   const std::string& key);
// The position of a key of the point, for error messages.
std::string where(const scenarios::ScenarioPoint& point, std::string_view dotted_key);

}  // namespace kvsim::runner
