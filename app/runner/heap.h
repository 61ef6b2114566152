// app/runner/heap.h — the process's heap policy: freed memory is kept for reuse.
//
// Contract: call once at the start of a program (kvsim's main, the benchmarks), before threads.
// Why: protocol steps allocate share vectors of megabytes; glibc serves those by mmap and gives
// them back on free, so every step paid page faults and zero fills for fresh pages (most of an
// execute-mode comparison's time). Keeping freed blocks in the heap lets the next step reuse
// them. Memory then stays at its peak instead of shrinking back; results do not change.
#pragma once

namespace kvsim::runner {

void keep_freed_memory();

}  // namespace kvsim::runner
