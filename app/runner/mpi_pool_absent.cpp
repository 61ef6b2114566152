// app/runner/mpi_pool_absent.cpp — see mpi_pool.h (the build without MPI: every entry says so).
#include <stdexcept>

#include "app/runner/mpi_pool.h"

namespace kvsim::runner::mpi {

namespace {
[[noreturn]] void absent() {
  throw std::runtime_error("this kvsim was built without MPI: install libopenmpi-dev (tools/install-deps.sh) and "
                           "configure again");
}
}  // namespace

bool available() { return false; }
Session::Session() { absent(); }
Session::~Session() = default;
std::vector<PointOutcome> coordinate(const Session&, const std::vector<const scenarios::ScenarioPoint*>&,
                                     const KindRegistry&, const PoolHooks&) {
  absent();
}
void release_workers(const Session&) { absent(); }
void serve(const Session&, const std::vector<scenarios::ScenarioPoint>&, const KindRegistry&) { absent(); }

}  // namespace kvsim::runner::mpi
