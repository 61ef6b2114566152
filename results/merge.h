// results/merge.h — one campaign's files (shards, parts of an interrupted sweep) into one.
//
// Contract: merge_campaign() refuses, naming the files, parts that are not of one campaign (no
// campaign attributes, a different campaign SHA-256 or point count, another kvsim version or
// commit: results of different builds are not interchangeable), a point given twice with
// different results, and reproduction tables (they are not campaign points). A point present in
// no part is refused too, listing which, unless `allow_missing`. The merged runs and failures
// are in sweep-index order; a failure is dropped when another part holds the point's run. The
// result is what one uninterrupted, unsharded sweep writes, provenance aside.
#pragma once

#include <string>
#include <vector>

#include "results/records.h"

namespace kvsim::results {

struct MergePart {
  std::string path;
  ResultFileData data;
};

ResultFileData merge_campaign(const std::vector<MergePart>& parts, bool allow_missing);

// Sorted point indices as "3, 7, 11 (and 5 more)": for messages.
std::string describe_missing(const std::vector<std::uint64_t>& missing);

}  // namespace kvsim::results
