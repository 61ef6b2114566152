// app/kinds/kinds.h — every scenario kind kvsim ships: one factory per kind, one .cpp per kind in
// this folder, and the registry that lists them.
//
// Contract: a kind binds its scenario table to a typed configuration, makes one library call on
// the engine it is handed (models/, private_decode/, protocols/ hold the algorithms) and reports
// its rows. Kinds sharing `res` load the hardware catalog and the model zoo once.
#pragma once

#include <cstdint>
#include <memory>

#include "app/runner/kind.h"
#include "app/runner/resources.h"

namespace kvsim::runner {

std::unique_ptr<Kind> exchange_kind();
std::unique_ptr<Kind> decode_kind(std::shared_ptr<const Resources> res);
std::unique_ptr<Kind> solve_cost_kind(std::shared_ptr<const Resources> res);
std::unique_ptr<Kind> grpo_rollout_kind(std::shared_ptr<const Resources> res);
std::unique_ptr<Kind> reference_sharding_kind(std::shared_ptr<const Resources> res);
std::unique_ptr<Kind> agentic_turns_kind(std::shared_ptr<const Resources> res);
std::unique_ptr<Kind> speculative_kind(std::shared_ptr<const Resources> res);
std::unique_ptr<Kind> speculative_levels_kind(std::shared_ptr<const Resources> res);
std::unique_ptr<Kind> kv_quality_kind(std::shared_ptr<const Resources> res);
std::unique_ptr<Kind> private_decode_kind(std::shared_ptr<const Resources> res);
std::unique_ptr<Kind> mpc_gather_kind(std::shared_ptr<const Resources> res);

// Kind::relative_cost of execute-mode work on the small model: `episodes` prefills over `context`
// positions each, quadratic in it (a cost-mode point counts 1).
inline double small_model_relative_cost(std::int64_t episodes, std::int64_t context) {
  const double c = static_cast<double>(context) / 1024.0;
  return static_cast<double>(episodes) * c * c;
}

// Every kind above, in this order (a new registry each call: no global state).
KindRegistry builtin_kinds();

}  // namespace kvsim::runner
