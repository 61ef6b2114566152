// tests/fuzz/fuzz_result_reader.cpp — fuzz target: the result-file reader behind `kvsim report`.
// The input picks runs (metrics, series, timeline rows) and a reproduced table, kvsim's writer
// writes them, the input mutates the file's structure (tests/fuzz/h5_mutator.h), and the reader
// reads it back: a ResultError is the expected answer to a damaged file.
#include <cmath>
#include <stdexcept>

#include "results/reader.h"
#include "results/writer.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/h5_mutator.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvsim;
  static const fuzz::TempFile file(".h5");
  fuzz::FuzzInput in(data, size);
  results::FileInfo info{"0.1.0", "fuzz", "2026-12-01T00:00:00Z", "fuzz-host", in.text(20)};
  try {  // the writer is not under test: names it refuses end the input
    results::ResultWriter w(file.path(), info);
    const int runs = static_cast<int>(in.below(3));
    for (int r = 0; r < runs; ++r) {
      results::RunRecord rec;
      rec.group = "run-" + std::to_string(r);
      rec.name = in.text(8);
      rec.kind = "exchange";
      rec.scenario_text = in.text(40);
      rec.scenario_hash = "0";
      rec.seed = in.below(1000);
      rec.sweep_label = in.text(10);
      for (int m = static_cast<int>(in.below(4)); m > 0; --m)
        rec.metrics.push_back({"m" + std::to_string(m), static_cast<double>(in.below(1000)) / 7, in.flag() ? "s" : "B"});
      for (int s = static_cast<int>(in.below(3)); s > 0; --s) {
        results::Series series{"s" + std::to_string(s), "s", {}};
        for (int k = static_cast<int>(in.below(6)); k > 0; --k) series.values.push_back(static_cast<double>(in.byte()));
        rec.series.push_back(series);
      }
      for (int k = static_cast<int>(in.below(3)); k > 0; --k)
        rec.timeline.push_back({"link/" + std::to_string(k), in.below(9), 0.5, in.below(1 << 20), 0.0, 1.0});
      w.add_run(rec);
    }
    if (in.flag()) {
      results::ReproTable table{"triforce", "t" + std::to_string(in.below(100)), {}};
      for (int k = static_cast<int>(in.below(4)); k > 0; --k)
        table.rows.push_back({"row" + std::to_string(k), "ms", "ms", static_cast<double>(in.byte()), in.flag() ? std::nan("") : 1.0});
      w.add_table(table);
    }
    w.commit();
  } catch (const results::ResultError&) {
    return 0;
  }
  fuzz::mutate_h5(file.path(), in);
  try {
    (void)results::read_results(file.path());
  } catch (const results::ResultError&) {
  }
  return 0;
}
