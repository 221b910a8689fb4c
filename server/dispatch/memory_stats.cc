// MemoryStats: names are the JSON's (core/profile/memory_json.cc) flattened with underscores.
// Reads the monitor's latest sample only (never walks the store): cheap on a worker thread.
#include "server/dispatch/memory_stats.h"

#include <chrono>
#include <string>

namespace kmd::dispatch {

void MemoryStats(const profile::MemoryMonitor* monitor, StatLines* out) {
  const auto add = [out](std::string name, uint64_t value) {
    out->emplace_back(std::move(name), std::to_string(value));
  };
  add("enabled", monitor != nullptr ? 1 : 0);
  if (monitor == nullptr) return;
  const std::optional<profile::MemorySample> latest = monitor->Latest();
  add("interval_ms", static_cast<uint64_t>(monitor->interval().count()));
  add("samples", monitor->held());
  if (!latest) return;
  const profile::MemorySample& s = *latest;
  add("sample_time_ms", static_cast<uint64_t>(s.time_ms));
  add("sample_us", s.sample_ns / 1000);
  add("rss_bytes", s.rss);
  add("accounted_bytes", s.split.accounted());
  const auto values = s.split.values();
  for (size_t i = 0; i < values.size(); ++i) {
    add(std::string(cache::MemorySplit::kNames[i]) + "_bytes", values[i]);
  }
  add("malloc_arena_bytes", s.malloc.arena);
  add("malloc_in_use_bytes", s.malloc.in_use);
  add("malloc_free_bytes", s.malloc.free);
  add("malloc_mmap_bytes", s.malloc.mmap);
  add("page_source_bytes", s.page_source.bytes);
  add("page_source_peak_bytes", s.page_source.peak_bytes);
  add("page_source_backend_bytes", s.page_source.backend_bytes);
  add("items", s.items);
}

cache::OutsideBudget BufferAccounting(const net::ServerCounters& counters) {
  if (!counters.buffer_stats) return {};
  const memory::BufferPoolStats pools = counters.buffer_stats();
  return {.buffers = pools.in_use_bytes, .pools = pools.pooled_bytes};
}

}  // namespace kmd::dispatch
