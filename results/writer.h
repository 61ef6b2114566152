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
//   `timeline`.
// - HDF5 (serial build) is not thread-safe: use a writer from one thread.
#pragma once

#include <string>

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
  bool committed_ = false;
};

// The current time as ISO 8601 UTC, and this host's name: for FileInfo.
std::string utc_now_iso8601();
std::string host_name();

}  // namespace kvsim::results
