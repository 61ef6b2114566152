// app/cli/progress.cpp — see progress.h.
#include "app/cli/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace kvsim::cli {

std::string human_duration(double s) {
  char buf[48];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) std::snprintf(buf, sizeof buf, "%.0f s", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%d min %02d s", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  else std::snprintf(buf, sizeof buf, "%d h %02d min", static_cast<int>(s / 3600), static_cast<int>(s / 60) % 60);
  return buf;
}

Progress::Progress(std::string verb, std::size_t total)
    : verb_(std::move(verb)), total_(total), tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_line_(start_) {}

void Progress::update(std::size_t done, const std::string& last) {
  if (total_ == 0) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? done / elapsed : 0;
  const double eta = rate > 0 ? (total_ - done) / rate : -1;
  char stats[128];
  std::snprintf(stats, sizeof stats, "%zu/%zu points, %.3g/s, %s %s", done, total_, rate,
                done == total_ ? "took" : "ETA", human_duration(done == total_ ? elapsed : eta).c_str());
  if (tty_) {
    const int width = 30;
    const int filled = static_cast<int>(width * done / total_);
    std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] " << stats << "\033[K"
              << std::flush;
    drawn_ = true;
    return;
  }
  const bool step = (done - last_done_) * 10 >= total_;
  const bool slow = std::chrono::duration<double>(now - last_line_).count() >= 30;
  if (!(step || slow || done == total_)) return;
  std::cerr << verb_ << ": " << stats << (last.empty() ? "" : " (last: " + last + ")") << '\n';
  last_line_ = now;
  last_done_ = done;
}

void Progress::finish() {
  if (tty_ && drawn_) std::cerr << '\n';
  drawn_ = false;
}

}  // namespace kvsim::cli
