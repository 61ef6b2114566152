// sim/sync.cpp — join_all.
#include "sim/sync.h"

namespace kvsim::sim {

Task<void> join_all(std::vector<Process> processes) {
  std::exception_ptr first;
  for (const Process& p : processes) {
    try {
      co_await p.join();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

}  // namespace kvsim::sim
