// protocols/op_program.h — one protocol op at a benchmark's shape, the same SPMD program on the
// simulated network (bench/mpc_bench.cpp) and over TCP (`kvsim party --program op`).
//
// Party 0 inputs the first operand and party 1 the second (values from a seeded stream per
// owner); the op runs between two marks, and what this party's channel counted between them is
// the op's cost. `clock` reads the party's wall time (TCP) or is empty (in one process the
// caller times the engine run). Ops and their shapes (the anchors of README's Performance):
//   matmul      (m x k) by (k x n) ring product, no truncation        m, k, n
//   less-than   x < y, elementwise                                      n
//   exp         fixed-point exp of x in [-8, 0)                         n
//   equality    x == y, elementwise (eqz of the difference)             n
//   one-hot     n indices below `classes` -> (n, classes)               n, classes
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "protocols/protocol.h"

namespace kvsim::protocols {

struct OpSpec {
  std::string op = "less-than";
  std::int64_t n = 100'000;
  std::int64_t m = 128, k = 768;  // matmul: (m x k) by (k x n)
  std::int64_t classes = 1024;    // one-hot
  int repeat = 1;                 // runs of the op; the result describes the last (steady state)
  std::uint64_t data_seed = 1;
};

struct OpResult {
  CommStats op;        // this party's traffic during the op (online; the dealer's is "offline")
  std::uint64_t offline_bytes = 0;
  double seconds = 0;        // the last run's wall time by `clock` (0 without one)
  double first_seconds = 0;  // the first run's (a fresh process touches its memory for the first time)
  std::vector<Ring> revealed;  // the first few outputs, revealed after the op (for checks)
};

// The op names, for usage messages; throws std::invalid_argument naming the known ones.
const std::vector<std::string>& op_names();
void check_op(const OpSpec& spec);

sim::Task<OpResult> op_program(Protocol& P, OpSpec spec, std::function<double()> clock = {});

}  // namespace kvsim::protocols
