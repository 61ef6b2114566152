// app/cli/progress.h — progress of a sweep or reproduction on stderr, with rate and ETA.
//
// Contract: on a terminal, one line redrawn in place ("[####    ] 12/60 points, 1.9/s, ETA 25 s");
// otherwise (a log file, a batch job) a plain line at most every 10% of the points or every 30 s,
// whichever comes first, and always for the last point, so a redirected run is never silent for
// long. update() is called serialized; finish() ends the terminal line.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace kvsim::cli {

class Progress {
 public:
  Progress(std::string verb, std::size_t total);
  void set_total(std::size_t total) { total_ = total; }
  void update(std::size_t done, const std::string& last = "");
  void finish();

 private:
  std::string verb_;
  std::size_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_line_;
  std::size_t last_done_ = 0;
  bool drawn_ = false;
};

// "12 s", "3 min 05 s", "1 h 02 min".
std::string human_duration(double seconds);

}  // namespace kvsim::cli
