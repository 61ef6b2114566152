// bench/bench_main.cpp — the main() of the benchmarks that run kvsim's own code paths: the heap
// policy kvsim sets (app/runner/heap.h), then Google Benchmark.
#include <benchmark/benchmark.h>

#include "app/runner/heap.h"

int main(int argc, char** argv) {
  kvsim::runner::keep_freed_memory();  // as kvsim itself runs
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
