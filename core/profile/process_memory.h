// What the process as a whole holds: resident set size (/proc/self/statm) and glibc's malloc
// figures (mallinfo2). Thread-safe, stateless; every figure is a fresh read.
// With jemalloc or mimalloc preloaded, mallinfo2 reports glibc's (then mostly idle) heap only.
#pragma once

#include <cstdint>

namespace kmd::profile {

// Resident set size in bytes; 0 when it cannot be read.
uint64_t ResidentBytes();

struct MallocFigures {
  uint64_t arena = 0;   // bytes glibc obtained with sbrk/mmap'ed arenas (mallinfo2 arena)
  uint64_t in_use = 0;  // bytes in allocated chunks (uordblks), big mmap'ed blocks included
  uint64_t free = 0;    // bytes in free chunks (fordblks)
  uint64_t mmap = 0;    // bytes in blocks served by their own mmap (hblkhd)
};

MallocFigures ReadMalloc();

}  // namespace kmd::profile
