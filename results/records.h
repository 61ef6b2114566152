// results/records.h — what a kvsim run hands to the results layer.
//
// Contract: plain data, no dependency on the engine. Every number carries its unit as a string
// ("s", "B", "B/s", "1" for dimensionless), so a reader never has to guess.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kvsim::results {

struct Metric {
  std::string name;
  double value = 0;
  std::string unit;
};

struct Series {
  std::string name;   // e.g. "round_latency"
  std::string unit;
  std::vector<double> values;
  bool operator==(const Series&) const = default;
};

struct ResourceRow {
  std::string resource;  // e.g. "link/lan/p0->p1", "gpu0/compute"
  std::uint64_t spans = 0;
  double busy_s = 0;
  std::uint64_t bytes = 0;
  double first_start_s = 0;
  double last_end_s = 0;
};

struct RunRecord {
  std::string group;          // HDF5 group name under /runs, e.g. "run-0003"
  std::string name;           // scenario name
  std::string kind;
  std::string scenario_file;
  std::string scenario_text;  // the resolved scenario (TOML)
  std::string scenario_hash;  // SHA-256 of scenario_text
  std::uint64_t seed = 0;
  std::uint64_t sweep_index = 0;
  std::string sweep_label;    // "" when not part of a sweep
  // The swept keys of this point and their values as TOML text (`workload.context` -> `4096`),
  // in the sweep's order: typed columns of the tidy table.
  std::vector<std::pair<std::string, std::string>> sweep_values;
  double wall_time_s = 0;     // host time the run took (not a result: differs between machines)
  std::vector<Metric> metrics;
  std::vector<Series> series;
  std::vector<ResourceRow> timeline;
};

// One value of a reproduced table: what kvsim simulated beside the published (or brief) value.
struct ReproRow {
  std::string row;
  std::string metric;
  std::string unit;
  double simulated = 0;
  double paper = 0;  // NaN when no reference value is held
};

struct ReproTable {
  std::string reproduction;  // "datarus", "triforce", "mpcache"
  std::string name;          // table name, e.g. "s2-grpo-rollout"
  std::vector<ReproRow> rows;
};

struct FileInfo {
  std::string kvsim_version;
  std::string git_commit;
  std::string created;  // ISO 8601 UTC
  std::string host;
  std::string command;  // the command line that made the file
};

// A sweep point that failed: what it was and why (the other points of its sweep still ran).
struct FailureRecord {
  std::string group;  // "run-NNNN", the group the point would have had under /runs
  std::string name;
  std::string kind;
  std::string scenario_file;
  std::string scenario_text;
  std::string scenario_hash;
  std::uint64_t sweep_index = 0;
  std::string sweep_label;
  std::string error;  // the message the point stopped with
};

// Which campaign (the resolved points of one sweep) a file belongs to: files of one campaign
// can be merged, files of different campaigns cannot.
struct CampaignInfo {
  std::string sha256;       // SHA-256 over every point's scenario SHA-256, in index order ("" if none)
  std::uint64_t points = 0; // points in the whole campaign
  std::string shard;        // "i/N" for a shard's file, "" otherwise
};

struct ResultFileData {
  FileInfo info;
  CampaignInfo campaign;
  std::vector<RunRecord> runs;
  std::vector<FailureRecord> failures;  // under /failures/<group>
  std::vector<ReproTable> tables;  // under /reproduce/<reproduction>/<name>
};

}  // namespace kvsim::results
