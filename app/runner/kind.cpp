// app/runner/kind.cpp — the kind registry.
#include "app/runner/kind.h"


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

}  // namespace kvsim::runner
