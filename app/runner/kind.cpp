// app/runner/kind.cpp — the kind registry.
#include "app/runner/kind.h"

#include "app/runner/datarus_kinds.h"
#include "app/runner/decode_kind.h"
#include "app/runner/exchange_kind.h"
#include "app/runner/speculative_kind.h"
#include "app/runner/kv_quality_kind.h"
#include "app/runner/private_decode_kind.h"
#include "app/runner/gather_kind.h"

namespace kvsim::runner {

void KindRegistry::add(std::unique_ptr<Kind> kind) { kinds_.push_back(std::move(kind)); }

const Kind* KindRegistry::find(std::string_view name) const {
  for (const auto& k : kinds_) if (k->name() == name) return k.get();
  return nullptr;
}

std::vector<std::string> KindRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& k : kinds_) out.emplace_back(k->name());
  return out;
}

scenarios::KindLookup KindRegistry::lookup() const {
  return scenarios::KindLookup{names(), [this](std::string_view n) -> const scenarios::TableSchema* {
                                 const Kind* k = find(n);
                                 return k ? &k->schema() : nullptr;
                               }};
}

KindRegistry builtin_kinds() {
  KindRegistry r;
  r.add(std::make_unique<ExchangeKind>());
  auto resources = std::make_shared<const Resources>();
  r.add(std::make_unique<DecodeKind>(resources));
  r.add(std::make_unique<SolveCostKind>(resources));
  r.add(std::make_unique<GrpoRolloutKind>(resources));
  r.add(std::make_unique<ReferenceShardingKind>(resources));
  r.add(std::make_unique<AgenticTurnsKind>(resources));
  r.add(std::make_unique<SpeculativeKind>(resources));
  r.add(std::make_unique<SpeculativeLevelsKind>(resources));
  r.add(std::make_unique<KvQualityKind>());
  r.add(std::make_unique<PrivateDecodeKind>(resources));
  r.add(std::make_unique<GatherKind>(resources));
  return r;
}

}  // namespace kvsim::runner
