// tests/fuzz/h5_mutator.h — structure-aware mutations of an HDF5 file for the fuzz targets of
// kvsim's HDF5 readers (KV trace, result files). The fuzzer does not flip bytes of the container:
// that would fuzz libhdf5's own parser, which is HDF5's subject. It decides, through its input,
// which attributes and datasets to delete, retype, reshape, alter or add, so every check kvsim's
// readers make on what they find is exercised.
//
// Contract: mutate_h5() opens `path` read-write, applies up to 6 mutations chosen by `in`, and
// closes it; the result is always a well-formed HDF5 file.
#pragma once

#include <string>

#include "tests/fuzz/fuzz_input.h"

namespace kvsim::fuzz {

void mutate_h5(const std::string& path, FuzzInput& in);

}  // namespace kvsim::fuzz
