// app/runner/campaign.cpp — see campaign.h.
#include "app/runner/campaign.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "app/runner/point_pool.h"
#include "app/runner/run_point.h"
#include "results/h5.h"
#include "results/reader.h"
#include "results/sha256.h"
#include "results/writer.h"

namespace kvsim::runner {

namespace fs = std::filesystem;

namespace {

// A run read back from a file, made the record of `point`: same resolved scenario (same hash),
// so only what names the point in this sweep is taken from the point.
results::RunRecord as_point(results::RunRecord run, const scenarios::ScenarioPoint& point) {
  run.group = group_name(point.index);
  run.sweep_index = point.index;
  run.sweep_label = point.label();
  run.sweep_values = point.assignments;
  run.scenario_file = point.file;
  return run;
}

bool same_build(const results::FileInfo& a, const results::FileInfo& b) {
  return a.kvsim_version == b.kvsim_version && a.git_commit == b.git_commit;
}

}  // namespace

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  std::size_t i = 0, n = 0, used_i = 0, used_n = 0;
  try {
    if (slash == std::string::npos) throw std::invalid_argument("");
    i = std::stoul(text.substr(0, slash), &used_i);
    n = std::stoul(text.substr(slash + 1), &used_n);
  } catch (const std::exception&) {
    throw std::invalid_argument("--shard " + text + ": expected I/N, e.g. 0/4 (the first of four shards)");
  }
  if (used_i != slash || used_n != text.size() - slash - 1 || n == 0)
    throw std::invalid_argument("--shard " + text + ": expected I/N with N >= 1, e.g. 0/4");
  if (i >= n)
    throw std::invalid_argument("--shard " + text + ": shards are numbered 0 to " + std::to_string(n - 1));
  return Shard{i, n};
}

std::string campaign_sha256(const std::vector<scenarios::ScenarioPoint>& points) {
  results::Sha256 h;
  for (const auto& p : points) h.update(p.hash()).update("\n");
  return h.hex();
}

std::string parts_dir(const std::string& output) { return output + ".points"; }

Campaign::Campaign(const std::vector<scenarios::ScenarioPoint>& points, const KindRegistry& kinds,
                   CampaignOptions options, results::FileInfo info)
    : points_(points), kinds_(kinds), options_(std::move(options)), info_(std::move(info)),
      parts_(parts_dir(options_.output)) {
  campaign_ = results::CampaignInfo{campaign_sha256(points_), points_.size(),
                                    options_.shard.count > 1 ? std::to_string(options_.shard.index) + "/" +
                                                                   std::to_string(options_.shard.count)
                                                             : ""};
  for (std::size_t k : options_.only) {
    if (k >= points_.size())
      throw std::invalid_argument("--point " + std::to_string(k) + ": the sweep has " + std::to_string(points_.size()) +
                                  " points, numbered 0 to " + std::to_string(points_.size() - 1));
  }
  for (const auto& p : points_) {
    const bool listed = options_.only.empty() ||
                        std::find(options_.only.begin(), options_.only.end(), p.index) != options_.only.end();
    if (listed && options_.shard.has(p.index)) plan_.selected.push_back(&p);
  }

  // Results already at hand, by scenario hash: the parts folder, then (resuming) the output.
  std::map<std::string, results::RunRecord> found;
  std::error_code ec;
  std::size_t earlier = 0;
  if (fs::is_directory(parts_, ec)) {
    for (const auto& entry : fs::directory_iterator(parts_, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.empty() || name.front() == '.' || entry.path().extension() != ".h5") continue;
      ++earlier;
      if (!options_.resume) continue;
      try {
        results::ResultFileData d = results::read_results(entry.path().string());
        if (d.runs.size() != 1 || d.runs.front().scenario_hash != entry.path().stem().string()) continue;
        if (!same_build(d.info, info_)) { ++plan_.stale; continue; }
        found.emplace(d.runs.front().scenario_hash, std::move(d.runs.front()));
      } catch (const results::ResultError&) {
        // Unreadable (not written by kvsim, damaged): the point runs again.
      }
    }
  }
  if (earlier > 0 && !options_.resume) {
    throw std::invalid_argument("'" + parts_ + "' holds " + std::to_string(earlier) +
                                " finished points of an earlier run of this output: add --resume to keep them and "
                                "run only the rest, or remove the folder to start over");
  }
  if (options_.resume && fs::exists(options_.output, ec)) {
    try {
      results::ResultFileData d = results::read_results(options_.output);
      if (same_build(d.info, info_)) {
        for (auto& r : d.runs) found.emplace(r.scenario_hash, std::move(r));
      } else {
        plan_.stale += d.runs.size();
      }
    } catch (const results::ResultError&) {
    }
  }
  for (const auto* p : plan_.selected) {
    auto it = found.find(p->hash());
    if (it == found.end()) { plan_.to_run.push_back(p); continue; }
    reused_.push_back(as_point(it->second, *p));
    ++plan_.resumed;
  }
}

void Campaign::keep_point(const results::RunRecord& run) {
  results::ResultWriter w((fs::path(parts_) / (run.scenario_hash + ".h5")).string(), info_);
  w.set_campaign(campaign_);
  w.add_run(run);
  w.commit();
}

CampaignReport Campaign::run(const PointExecutor& executor) {
  CampaignReport report;
  report.plan = plan_;
  std::error_code ec;
  fs::create_directories(parts_, ec);
  if (!fs::is_directory(parts_, ec)) throw results::ResultError("cannot create the folder '" + parts_ + "'");
  // Temporary files of a run that was killed while writing a point: never complete, never used.
  for (const auto& entry : fs::directory_iterator(parts_, ec))
    if (entry.path().filename().string().front() == '.') fs::remove(entry.path(), ec);

  PoolHooks hooks;
  hooks.stop = options_.stop;
  std::vector<results::FailureRecord> failures;
  hooks.finished = [&](std::size_t position, PointOutcome& o, std::size_t done) {
    const scenarios::ScenarioPoint& p = *plan_.to_run[position];
    if (o.error) {
      failures.push_back(results::FailureRecord{group_name(p.index), p.name(), p.kind(), p.file, p.text(), p.hash(),
                                                p.index, p.label(), error_message(o.error)});
    } else {
      keep_point(o.record);
    }
    if (options_.progress) options_.progress(done, plan_.to_run.size(), o.error ? nullptr : &o.record);
  };
  std::vector<PointOutcome> outcomes = executor ? executor(plan_.to_run, hooks)
                                                : run_points(plan_.to_run, kinds_, RunOptions{}, options_.jobs, hooks);

  std::map<std::size_t, results::RunRecord> runs;
  for (auto& r : reused_) runs.emplace(r.sweep_index, std::move(r));
  for (auto& o : outcomes)
    if (o.started && !o.error) runs.emplace(o.record.sweep_index, std::move(o.record));
  for (auto& [i, r] : runs) report.runs.push_back(std::move(r));
  std::sort(failures.begin(), failures.end(),
            [](const results::FailureRecord& a, const results::FailureRecord& b) { return a.sweep_index < b.sweep_index; });
  report.failures = std::move(failures);
  report.interrupted = std::any_of(outcomes.begin(), outcomes.end(), [](const PointOutcome& o) { return !o.started; });
  if (report.interrupted) return report;

  results::ResultWriter w(options_.output, info_);
  w.set_campaign(campaign_);
  for (const auto& r : report.runs) w.add_run(r);
  for (const auto& f : report.failures) w.add_failure(f);
  w.commit();
  report.written = true;
  // The selected points are in the output now. Files of other points (a resumed folder used with
  // --point) stay, and so does the folder then.
  for (const auto* p : plan_.selected) fs::remove(fs::path(parts_) / (p->hash() + ".h5"), ec);
  fs::remove(parts_, ec);
  return report;
}

}  // namespace kvsim::runner
