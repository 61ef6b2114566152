// app/runner/mpi_pool.cpp — see mpi_pool.h (the build with OpenMPI).
#include "app/runner/mpi_pool.h"

#include <mpi.h>
#include <signal.h>

#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>

#include "results/h5.h"
#include "results/record_codec.h"

namespace kvsim::runner::mpi {

namespace {

// Worker -> rank 0: [u64 sweep index][u8 what][payload]; rank 0 -> worker: [u64 sweep index] to
// run, or an empty message to stop.
enum : int { kTagToCoordinator = 1, kTagToWorker = 2 };
enum : unsigned char { kReady = 0, kResult = 1, kFailed = 2 };

void send_to_coordinator(std::uint64_t index, unsigned char what, const std::string& payload) {
  std::string msg(9, '\0');
  std::memcpy(msg.data(), &index, 8);
  msg[8] = static_cast<char>(what);
  msg += payload;
  MPI_Send(msg.data(), static_cast<int>(msg.size()), MPI_BYTE, 0, kTagToCoordinator, MPI_COMM_WORLD);
}

struct Message {
  int source = 0;
  std::string bytes;
};

Message receive(int source, int tag) {
  MPI_Status status;
  MPI_Probe(source, tag, MPI_COMM_WORLD, &status);
  int n = 0;
  MPI_Get_count(&status, MPI_BYTE, &n);
  Message m{status.MPI_SOURCE, std::string(static_cast<std::size_t>(n), '\0')};
  MPI_Recv(m.bytes.data(), n, MPI_BYTE, status.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return m;
}

void send_work(int worker, const std::uint64_t* index) {
  MPI_Send(index, index ? 8 : 0, MPI_BYTE, worker, kTagToWorker, MPI_COMM_WORLD);
}

}  // namespace

bool available() { return true; }

Session::Session() {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Session::~Session() { MPI_Finalize(); }

std::vector<PointOutcome> coordinate(const Session& session, const std::vector<const scenarios::ScenarioPoint*>& points,
                                     const KindRegistry& kinds, const PoolHooks& hooks) {
  if (session.size() < 2) return run_points(points, kinds, RunOptions{}, 1, hooks);
  std::vector<PointOutcome> out(points.size());
  std::map<std::uint64_t, std::size_t> position;  // sweep index -> position in `points`
  for (std::size_t i = 0; i < points.size(); ++i) position[points[i]->index] = i;
  std::size_t next = 0, done = 0;
  int stopped = 0;
  std::exception_ptr hook_error;
  while (stopped < session.size() - 1) {
    Message m = receive(MPI_ANY_SOURCE, kTagToCoordinator);
    // Why abort: a rank that breaks the protocol leaves the others waiting in ways no reply fixes.
    auto violation = [&](const std::string& what) {
      std::fprintf(stderr, "kvsim sweep --mpi: rank %d %s; aborting every rank (finished points are kept)\n", m.source,
                   what.c_str());
      MPI_Abort(MPI_COMM_WORLD, 1);
      std::abort();  // MPI_Abort does not return; say so to the code below
    };
    if (m.bytes.size() < 9) violation("sent a malformed message");
    std::uint64_t index = 0;
    std::memcpy(&index, m.bytes.data(), 8);
    const unsigned char what = static_cast<unsigned char>(m.bytes[8]);
    if (what != kReady) {
      auto it = position.find(index);
      if (it == position.end()) violation("sent point " + std::to_string(index) + ", which was not handed out");
      PointOutcome& o = out[it->second];
      const std::string payload = m.bytes.substr(9);
      if (what == kResult) {
        try {
          o.record = results::decode_run(payload);
        } catch (const results::ResultError& e) {
          violation(std::string("sent a damaged record: ") + e.what());
        }
        if (o.record.scenario_hash != points[it->second]->hash()) {
          o.error = std::make_exception_ptr(std::runtime_error(
              "rank " + std::to_string(m.source) + " resolved point " + std::to_string(index) +
              " to another scenario than rank 0 (do the scenario files differ between nodes?)"));
        }
      } else {
        o.error = std::make_exception_ptr(std::runtime_error(payload));
      }
      ++done;
      if (hooks.finished && !hook_error) {
        try {
          hooks.finished(it->second, o, done);
        } catch (...) {
          hook_error = std::current_exception();  // hand out nothing more, drain, then rethrow
        }
      }
    }
    const bool stopping = hook_error || (hooks.stop && hooks.stop->load());
    if (next < points.size() && !stopping) {
      out[next].started = true;
      const std::uint64_t give = points[next++]->index;
      send_work(m.source, &give);
    } else {
      send_work(m.source, nullptr);
      ++stopped;
    }
  }
  if (hook_error) std::rethrow_exception(hook_error);
  return out;
}

void release_workers(const Session& session) {
  for (int stopped = 0; stopped < session.size() - 1; ++stopped) {
    Message m = receive(MPI_ANY_SOURCE, kTagToCoordinator);
    send_work(m.source, nullptr);
  }
}

void serve(const Session& session, const std::vector<scenarios::ScenarioPoint>& all, const KindRegistry& kinds) {
  (void)session;
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  send_to_coordinator(0, kReady, "");
  while (true) {
    Message m = receive(0, kTagToWorker);
    if (m.bytes.empty()) return;
    std::uint64_t index = 0;
    std::memcpy(&index, m.bytes.data(), 8);
    if (index >= all.size()) {
      send_to_coordinator(index, kFailed, "point " + std::to_string(index) + " is not in this rank's sweep");
      continue;
    }
    try {
      send_to_coordinator(index, kResult, results::encode_run(run_point(all[index], kinds)));
    } catch (const std::exception& e) {
      send_to_coordinator(index, kFailed, e.what());
    }
  }
}

}  // namespace kvsim::runner::mpi
