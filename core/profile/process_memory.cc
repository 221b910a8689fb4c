// ResidentBytes and ReadMalloc: one /proc read and one mallinfo2 call each. Stateless and
// thread-safe (mallinfo2 takes glibc's arena locks briefly).
#include "core/profile/process_memory.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

namespace kmd::profile {

uint64_t ResidentBytes() {
  // stdio rather than ifstream: no locale machinery on a path the sampler runs every second.
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  unsigned long long size_pages = 0;
  unsigned long long resident_pages = 0;
  const int n = std::fscanf(statm, "%llu %llu", &size_pages, &resident_pages);
  std::fclose(statm);
  if (n != 2) return 0;
  return resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

MallocFigures ReadMalloc() {
  const struct mallinfo2 info = mallinfo2();
  MallocFigures out;
  out.arena = info.arena;
  out.mmap = info.hblkhd;
  out.in_use = info.uordblks + info.hblkhd;
  out.free = info.fordblks;
  return out;
}

}  // namespace kmd::profile
