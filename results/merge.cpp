// results/merge.cpp — see merge.h.
#include "results/merge.h"

#include <algorithm>
#include <map>

#include "results/h5.h"

namespace kvsim::results {

namespace {

bool same_result(const RunRecord& a, const RunRecord& b) {
  auto metrics_equal = [](const std::vector<Metric>& x, const std::vector<Metric>& y) {
    return std::equal(x.begin(), x.end(), y.begin(), y.end(), [](const Metric& m, const Metric& n) {
      return m.name == n.name && m.unit == n.unit && (m.value == n.value || (m.value != m.value && n.value != n.value));
    });
  };
  return a.scenario_hash == b.scenario_hash && metrics_equal(a.metrics, b.metrics) && a.series == b.series;
}

}  // namespace

std::string describe_missing(const std::vector<std::uint64_t>& missing) {
  std::string s;
  const std::size_t shown = std::min<std::size_t>(missing.size(), 8);
  for (std::size_t i = 0; i < shown; ++i) s += (i ? ", " : "") + std::to_string(missing[i]);
  if (missing.size() > shown) s += " (and " + std::to_string(missing.size() - shown) + " more)";
  return s;
}

ResultFileData merge_campaign(const std::vector<MergePart>& parts, bool allow_missing) {
  if (parts.empty()) throw ResultError("nothing to merge");
  const MergePart& first = parts.front();
  for (const MergePart& p : parts) {
    if (p.data.campaign.sha256.empty())
      throw ResultError("'" + p.path + "' is not part of a campaign (only `kvsim sweep` files can be merged)");
    if (!p.data.tables.empty())
      throw ResultError("'" + p.path + "' holds reproduction tables; only sweep campaigns are merged");
    if (p.data.campaign.sha256 != first.data.campaign.sha256 || p.data.campaign.points != first.data.campaign.points)
      throw ResultError("'" + p.path + "' belongs to another campaign than '" + first.path + "' (" +
                        std::to_string(p.data.campaign.points) + " points, campaign " + p.data.campaign.sha256.substr(0, 12) +
                        " vs " + std::to_string(first.data.campaign.points) + " points, campaign " +
                        first.data.campaign.sha256.substr(0, 12) + "): a different sweep, or the same one resolved differently");
    if (p.data.info.kvsim_version != first.data.info.kvsim_version || p.data.info.git_commit != first.data.info.git_commit)
      throw ResultError("'" + p.path + "' was written by kvsim " + p.data.info.kvsim_version + " (commit " +
                        p.data.info.git_commit + "), '" + first.path + "' by " + first.data.info.kvsim_version +
                        " (commit " + first.data.info.git_commit + "): results of different builds are not merged");
  }

  std::map<std::uint64_t, std::pair<const RunRecord*, const std::string*>> runs;
  std::map<std::uint64_t, const FailureRecord*> failures;
  for (const MergePart& p : parts) {
    for (const RunRecord& r : p.data.runs) {
      if (r.sweep_index >= first.data.campaign.points)
        throw ResultError("'" + p.path + "': run " + r.group + " has index " + std::to_string(r.sweep_index) +
                          " outside the campaign's " + std::to_string(first.data.campaign.points) + " points");
      auto [it, fresh] = runs.emplace(r.sweep_index, std::make_pair(&r, &p.path));
      if (!fresh && !same_result(*it->second.first, r))
        throw ResultError("point " + std::to_string(r.sweep_index) + " differs between '" + *it->second.second +
                          "' and '" + p.path + "'");
    }
    for (const FailureRecord& f : p.data.failures) failures.emplace(f.sweep_index, &f);
  }

  ResultFileData out;
  out.info = first.data.info;
  out.campaign = CampaignInfo{first.data.campaign.sha256, first.data.campaign.points, ""};
  std::vector<std::uint64_t> missing;
  for (std::uint64_t i = 0; i < first.data.campaign.points; ++i) {
    if (auto r = runs.find(i); r != runs.end()) out.runs.push_back(*r->second.first);
    else if (auto f = failures.find(i); f != failures.end()) out.failures.push_back(*f->second);
    else missing.push_back(i);
  }
  if (!missing.empty() && !allow_missing)
    throw ResultError(std::to_string(missing.size()) + " of " + std::to_string(first.data.campaign.points) +
                      " points are in none of the files: " + describe_missing(missing) +
                      " (merge the missing shards too, or pass --allow-missing)");
  return out;
}

}  // namespace kvsim::results
