// app/runner/kind.h — a scenario kind: a schema plus the code that runs a resolved point on the
// engine it is handed (BoundKind: the schema and the config it reads from one binder), and the
// registry of kinds (app/kinds/kinds.h lists them). Kinds join the layers below app/ and hand
// plain records to results/.
//
// Contract: Kind::run() gets a validated point and a fresh engine seeded from the point; it may
// throw scenarios::ScenarioError for semantic problems (a link naming an unknown party), with
// the position of the offending key. It must not use any state outside its arguments, so points
// of a sweep can run on different threads.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "results/records.h"
#include "scenarios/binder.h"
#include "scenarios/scenario.h"
#include "sim/engine.h"

namespace kvsim::runner {

struct KindOutput {
  std::vector<results::Metric> metrics;
  std::vector<results::Series> series;
  // Rows of a reproduced table (kinds that reproduce published figures); paper values are filled
  // in by the reproduction driver from the reference data, never by the kind.
  std::vector<results::ReproRow> table;
};

class Kind {
 public:
  virtual ~Kind() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view description() const = 0;
  virtual const scenarios::TableSchema& schema() const = 0;
  virtual KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const = 0;
  // Prints a human breakdown of what a run of `point` does (`kvsim explain`); false if the kind
  // has none.
  virtual bool explain(const scenarios::ScenarioPoint& /*point*/, std::ostream& /*out*/) const { return false; }
  // A rough guess of the point's run time against a typical point (1): the pool starts the
  // costliest points first, so that no worker is left with a long point at the end. It orders
  // work only; no result depends on it.
  virtual double relative_cost(const scenarios::ScenarioPoint& /*point*/) const { return 1.0; }
};

// A kind whose scenario is a typed Config bound to its schema once (scenarios/binder.h): the
// schema, the resolved scenario and the values the run reads all come from the binder.
template <class Config>
class BoundKind : public Kind {
 public:
  explicit BoundKind(scenarios::Binder<Config> binder) : binder_(std::move(binder)) {}
  const scenarios::TableSchema& schema() const final { return binder_.schema(); }
  KindOutput run(const scenarios::ScenarioPoint& point, sim::Engine& engine) const final {
    return run_config(binder_.read(point.tree), point, engine);
  }

 protected:
  // `point` is at hand for positions of keys in errors and for tables read by other means.
  virtual KindOutput run_config(const Config& c, const scenarios::ScenarioPoint& point, sim::Engine& engine) const = 0;
  Config config_of(const scenarios::ScenarioPoint& point) const { return binder_.read(point.tree); }

 private:
  scenarios::Binder<Config> binder_;
};

class KindRegistry {
 public:
  void add(std::unique_ptr<Kind> kind);
  const Kind* find(std::string_view name) const;
  std::vector<std::string> names() const;
  const std::vector<std::unique_ptr<Kind>>& kinds() const { return kinds_; }
  // The view the scenario loader needs.
  scenarios::KindLookup lookup() const;

 private:
  std::vector<std::unique_ptr<Kind>> kinds_;
};

}  // namespace kvsim::runner
