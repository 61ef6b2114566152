// app/runner/mpi_pool.h — a sweep's points spread over MPI ranks (`mpirun -n K kvsim sweep ... --mpi`).
//
// Contract:
// - Every rank resolves the same scenario into the same points. Rank 0 coordinates and writes
//   (it builds the Campaign: parts folder, resume, output); ranks 1..K-1 take points one at a
//   time, dynamically (a rank asks for the next point when it finishes one), run them on their
//   own engine and send the record back (results/record_codec.h: bit for bit). The results do
//   not depend on K: each point lands in its own slot, the output is assembled by index.
// - A worker's point that throws comes back as a failure with its message. A worker that
//   resolved a point differently (scenario files differ between nodes) has its result refused
//   as a failure naming the rank.
// - Stopping (rank 0's stop flag): no further point is handed out, points running finish and are
//   kept, every worker is told to stop. Workers ignore SIGINT/SIGTERM (mpirun forwards them to
//   every rank): rank 0 decides.
// - With fewer than 2 ranks, rank 0 runs the points itself (the local pool).
// - Built without MPI (no libopenmpi-dev at configure time), available() is false and the other
//   functions throw std::runtime_error saying so.
#pragma once

#include <memory>
#include <vector>

#include "app/runner/point_pool.h"

namespace kvsim::runner::mpi {

bool available();

// MPI_Init on construction, MPI_Finalize on destruction (one per process).
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  int rank_ = 0;
  int size_ = 1;
};

// Rank 0: runs `points` on the workers (PointExecutor semantics, see point_pool.h).
std::vector<PointOutcome> coordinate(const Session& session, const std::vector<const scenarios::ScenarioPoint*>& points,
                                     const KindRegistry& kinds, const PoolHooks& hooks);

// Rank 0, when it cannot coordinate (an error before the campaign ran): tells every worker to stop.
void release_workers(const Session& session);

// Ranks > 0: serves points of `all` (by sweep index) until rank 0 says stop.
void serve(const Session& session, const std::vector<scenarios::ScenarioPoint>& all, const KindRegistry& kinds);

}  // namespace kvsim::runner::mpi
