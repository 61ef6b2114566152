// protocols/demo_program.h — a fixed SPMD program used to compare transports: the same inputs,
// the same operations, on the simulated network or over TCP, must reveal the same ring elements
// and cost the same bytes and rounds (tests/protocols/tcp_test.cpp, `kvsim party`).
//
// Party 0 inputs x (n values) and A (batch x m x k); party 1 inputs y (n values) and W
// (batch x k x n); all compute x*y and A.W in fixed point and reveal both. Values come from a
// seeded stream per owner, so each party generates only its own inputs.
#pragma once

#include <string>
#include <vector>

#include "protocols/protocol.h"

namespace kvsim::protocols {

struct DemoSpec {
  std::int64_t n = 64;
  MatDims mat{2, 4, 16, 8};
  std::uint64_t data_seed = 1;
};

struct DemoResult {
  std::vector<Ring> product, matmul;  // revealed ring elements (empty at a dealer)
  CommStats stats;                    // this party's totals
  std::string digest() const;         // SHA-256 of the revealed elements, hex
};

sim::Task<DemoResult> demo_program(Protocol& P, DemoSpec spec);

// The plaintext inputs of the demo (for checking results).
std::vector<double> demo_values(std::uint64_t data_seed, int owner, const char* name, std::size_t n);

}  // namespace kvsim::protocols
