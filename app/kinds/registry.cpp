// app/kinds/registry.cpp — the one list of kinds.
#include "app/kinds/kinds.h"

namespace kvsim::runner {

KindRegistry builtin_kinds() {
  KindRegistry r;
  r.add(exchange_kind());
  auto resources = std::make_shared<const Resources>();
  r.add(decode_kind(resources));
  r.add(solve_cost_kind(resources));
  r.add(grpo_rollout_kind(resources));
  r.add(reference_sharding_kind(resources));
  r.add(agentic_turns_kind(resources));
  r.add(speculative_kind(resources));
  r.add(speculative_levels_kind(resources));
  r.add(kv_quality_kind(resources));
  r.add(private_decode_kind(resources));
  r.add(mpc_gather_kind(resources));
  return r;
}

}  // namespace kvsim::runner
