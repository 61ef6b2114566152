// app/runner/heap.cpp — glibc's malloc told not to hand large blocks back to the system.
#include "app/runner/heap.h"

#include <malloc.h>

namespace kvsim::runner {

void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 1 << 30);  // blocks below 1 GiB come from the heap ...
  mallopt(M_TRIM_THRESHOLD, -1);       // ... and freed heap memory is not trimmed
#endif
}

}  // namespace kvsim::runner
