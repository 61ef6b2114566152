// results/writer.h — one HDF5 file per kvsim command, written atomically.
//
// Contract:
// - The file is built under a temporary name in the destination folder and only commit() makes
//   it visible: flush, close, fsync the file, rename over the destination, fsync the folder. A
//   crash, a kill or an exception before commit() never leaves a truncated file under the
//   requested name and never touches a file already there; the destructor of an uncommitted
//   writer deletes the temporary file.
// - Layout (see results/SCHEMA.md): root attributes from FileInfo; one group /runs/<group> per
//   run with the resolved scenario as attributes, datasets `metrics`, `series/<name>`,
//   `timeline`, `sweep`; failed points under /failures/<group>; the campaign's attributes at the
//   root; commit() adds the tidy table `/table` of every run added (results/tidy.h).
// - Every method holds h5::library_mutex(): writers on different threads take turns, and a writer
//   may run beside readers on other threads. One writer is used from one thread at a time.
#pragma once

#include <string>
#include <vector>

#include "results/h5.h"
#include "results/records.h"

namespace kvsim::results {

class ResultWriter {
 public:
  ResultWriter(std::string path, const FileInfo& info);
  ~ResultWriter();
  ResultWriter(const ResultWriter&) = delete;
  ResultWriter& operator=(const ResultWriter&) = delete;

  void add_run(const RunRecord& run);
  void add_failure(const FailureRecord& failure);
  void set_campaign(const CampaignInfo& campaign);
  // /reproduce/<reproduction>/<name>: compound rows {row, metric, unit, simulated, paper}.
  void add_table(const ReproTable& table);
  void commit();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

 private:
  std::string path_;
  std::string temp_;
  h5::Handle file_;
  h5::Handle runs_;
  h5::Handle reproduce_;
  h5::Handle failures_;
  std::vector<RunRecord> tidy_rows_;  // what the tidy table needs of each run (no series, no timeline)
  bool committed_ = false;
};

// The current time as ISO 8601 UTC, and this host's name: for FileInfo.
std::string utc_now_iso8601();
std::string host_name();

}  // namespace kvsim::results
