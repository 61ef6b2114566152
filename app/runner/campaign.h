// app/runner/campaign.h — a sweep as a campaign: points kept as they finish, resumable, sharded.
//
// Contract:
// - A campaign is the list of a sweep's resolved points; its identity is campaign_sha256() (over
//   every point's scenario SHA-256 in index order). The points to run are the shard's (index mod
//   N == i) and, when `only` is given, those of them listed.
// - While it runs, every finished point is written at once, atomically, to
//   `<output>.points/<scenario SHA-256>.h5` (parts_dir()). A point's result depends only on its
//   resolved scenario and the kvsim build, so a file of the same hash from the same build is the
//   point's result: with `resume`, those files and the runs of an existing `output` are taken
//   instead of running again (from another build they are run again). Without `resume`, finished
//   points of an earlier run refuse the campaign (UsageError naming both ways forward).
// - A point that throws is recorded as a FailureRecord (label and message); the others go on. A
//   stop request (`stop` set, e.g. by SIGINT) starts no further point; running points finish and
//   are kept; `output` is then not written.
// - Otherwise `output` is written (runs and failures in index order, the campaign's attributes)
//   and the parts folder is removed. The runs written do not depend on jobs, shards, resumes or
//   interruptions: only provenance (times, host, command, wall time) can differ.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "app/runner/kind.h"
#include "app/runner/point_pool.h"
#include "results/records.h"

namespace kvsim::runner {

struct Shard {
  std::size_t index = 0;
  std::size_t count = 1;
  bool has(std::size_t point) const { return point % count == index; }
};

// "i/N" with 0 <= i < N; throws std::invalid_argument with the reason.
Shard parse_shard(const std::string& text);

std::string campaign_sha256(const std::vector<scenarios::ScenarioPoint>& points);

std::string parts_dir(const std::string& output);

struct CampaignOptions {
  std::string output;
  unsigned jobs = 1;
  bool resume = false;
  Shard shard;
  std::vector<std::size_t> only;  // point indices; empty: every point of the shard
  const std::atomic<bool>* stop = nullptr;
  // After each point run here (not those resumed), serialized: points done so far and to run.
  std::function<void(std::size_t done, std::size_t total, const results::RunRecord* run)> progress;
};

struct CampaignPlan {
  std::vector<const scenarios::ScenarioPoint*> selected;  // in index order
  std::vector<const scenarios::ScenarioPoint*> to_run;    // selected minus those resumed
  std::size_t resumed = 0;
  std::size_t stale = 0;  // files of these points from another build, ignored
};

struct CampaignReport {
  CampaignPlan plan;
  std::vector<results::RunRecord> runs;  // every selected point that has a result, index order
  std::vector<results::FailureRecord> failures;
  bool interrupted = false;
  bool written = false;
};

class Campaign {
 public:
  Campaign(const std::vector<scenarios::ScenarioPoint>& points, const KindRegistry& kinds, CampaignOptions options,
           results::FileInfo info);
  // What will run (reads the parts folder and, with resume, the output): for the startup line.
  const CampaignPlan& plan() const { return plan_; }
  void set_progress(std::function<void(std::size_t, std::size_t, const results::RunRecord*)> f) {
    options_.progress = std::move(f);
  }
  // Runs the points on `executor` (default: run_points on `jobs` local threads).
  CampaignReport run(const PointExecutor& executor = {});

 private:
  void keep_point(const results::RunRecord& run);

  const std::vector<scenarios::ScenarioPoint>& points_;
  const KindRegistry& kinds_;
  CampaignOptions options_;
  results::FileInfo info_;
  results::CampaignInfo campaign_;
  std::string parts_;
  CampaignPlan plan_;
  std::vector<results::RunRecord> reused_;
};

}  // namespace kvsim::runner
