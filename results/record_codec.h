// results/record_codec.h — a run record as bytes and back, for sending finished points between
// processes (MPI ranks).
//
// Contract: decode_run(encode_run(r)) == r field for field; doubles travel as their bit patterns,
// so a point computed on another rank is bit-identical to one computed here. The encoding is
// little-endian, length-prefixed, with a leading tag and version; decode_run() throws ResultError
// on bytes that are truncated, too long or not a record (it never reads past the input).
#pragma once

#include <string>
#include <string_view>

#include "results/records.h"

namespace kvsim::results {

std::string encode_run(const RunRecord& run);
RunRecord decode_run(std::string_view bytes);

}  // namespace kvsim::results
