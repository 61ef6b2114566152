// results/reader.h — reads back what ResultWriter wrote (for `kvsim report` and tests).
//
// Contract: throws ResultError naming the file when it is missing, not HDF5, or not a kvsim
// result file (no kvsim_version attribute).
#pragma once

#include <string>

#include "results/h5.h"
#include "results/records.h"

namespace kvsim::results {

ResultFileData read_results(const std::string& path);

}  // namespace kvsim::results
