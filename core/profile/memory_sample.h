// MemorySample: what the monitor records at one instant (a plain value, fixed size, so a history
// of thousands stays small; per-class slab use is kept for the latest sample only).
// MemorySnapshot: the latest sample, its classes and the history, copied out for one reader.
// Values only; thread-safe to copy.
#pragma once

#include <cstdint>
#include <vector>

#include "core/cache/memory_split.h"
#include "core/memory/page_source/page_source.h"
#include "core/profile/process_memory.h"

namespace kmd::profile {

struct MemorySample {
  int64_t time_ms = 0;  // Unix time, milliseconds
  uint64_t rss = 0;
  cache::MemorySplit split;  // kinds add up to max(rss, accounted)
  MallocFigures malloc;
  memory::PageSourceStats page_source;
  uint64_t items = 0;      // curr_items
  uint64_t budget = 0;     // memory limit (-m)
  uint32_t sample_ns = 0;  // what taking this sample cost (wall time on the sampling thread)
};

struct MemorySnapshot {
  uint32_t interval_ms = 0;
  size_t capacity = 0;         // samples the history can hold
  uint64_t samples_taken = 0;  // since start, wrapped ones included
  bool has_latest = false;
  MemorySample latest;
  std::vector<cache::ClassStats> classes;  // of the latest sample
  std::vector<MemorySample> history;       // oldest first; ends with `latest`
};

}  // namespace kmd::profile
