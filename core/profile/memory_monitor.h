// MemoryMonitor: the profiler's live view. Every `interval` its own thread samples RSS and its
// split by kind (cache::SplitMemory over one Store::Stats() snapshot and the buffers and pools
// that read_outside reports), mallinfo2, the page source's counters and per-class slab use, and
// keeps the last `history` samples in a ring.
// Thread-safety: Start/Stop from the owning thread; SampleNow, Latest, Snapshot from any thread
// (one mutex guards the ring, held only to copy in or out, never while the store is walked).
// The store must outlive the monitor. Start() takes the first sample before it returns; the
// observer runs on whichever thread takes the sample, outside the ring's mutex.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/cache/store.h"
#include "core/profile/memory_sample.h"
#include "core/profile/sample_ring.h"

namespace kmd::profile {

struct MonitorOptions {
  std::chrono::milliseconds interval{1000};
  size_t history = 3600;
  // Where RSS comes from (tests substitute a figure); default: /proc/self/statm.
  uint64_t (*read_rss)() = &ResidentBytes;
  // Called with each sample after it is recorded, on the sampling thread (the leak detector).
  std::function<void(const MemorySample&)> observer;
  // The accounted kinds outside the budget (the server's buffer pools); empty: zero. Called on
  // the sampling thread, so it must be thread-safe.
  std::function<cache::OutsideBudget()> read_outside;
};

class MemoryMonitor {
 public:
  MemoryMonitor(const cache::Store& store, const MonitorOptions& options);
  ~MemoryMonitor();
  MemoryMonitor(const MemoryMonitor&) = delete;
  MemoryMonitor& operator=(const MemoryMonitor&) = delete;

  void Start();
  void Stop();  // idempotent; the destructor runs it

  // Takes one sample now (as the thread does), records it and returns it.
  MemorySample SampleNow();
  std::optional<MemorySample> Latest() const;
  MemorySnapshot Snapshot() const;
  size_t held() const;
  std::chrono::milliseconds interval() const { return options_.interval; }
  // Wall time spent sampling since construction (the monitor's cost), nanoseconds.
  uint64_t busy_ns() const;

 private:
  void Run();

  const cache::Store& store_;
  const MonitorOptions options_;
  mutable std::mutex mu_;
  SampleRing<MemorySample> ring_;           // guarded by mu_
  std::vector<cache::ClassStats> classes_;  // guarded by mu_: the newest sample's
  uint64_t taken_ = 0;                      // guarded by mu_
  uint64_t busy_ns_ = 0;                    // guarded by mu_
  bool stop_ = false;                       // guarded by mu_
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace kmd::profile
