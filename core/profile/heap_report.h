// HeapReporter: /debug/heap. Allocation hotspots as collapsed stacks of live sampled bytes (one
// "root;...;allocating_frame BYTES" line per site, flamegraph.pl's input), and a JSON form with
// the sites (top kTopSites by live bytes, naming frame and top frames), item memory by slab
// class (the monitor's latest sample), item writes by key prefix and by command (ItemProfile).
// Thread-safety: Collapsed/Json from any thread, one at a time per reporter (a mutex guards the
// frame-name cache). The sources (each may be null) must outlive it.
#pragma once

#include <mutex>
#include <string>

#include "core/profile/alloc_sampler.h"
#include "core/profile/item_profile.h"
#include "core/profile/memory_monitor.h"
#include "core/profile/symbolize.h"

namespace kmd::profile {

class HeapReporter {
 public:
  static constexpr size_t kTopSites = 64;
  static constexpr size_t kJsonFrames = 8;

  HeapReporter(const AllocSampler* sampler, const MemoryMonitor* monitor, const ItemProfile* items,
               uint64_t sample_bytes);

  std::string Collapsed();
  std::string Json();

 private:
  const AllocSampler* sampler_;
  const MemoryMonitor* monitor_;
  const ItemProfile* items_;
  const uint64_t sample_bytes_;
  std::mutex mu_;
  FrameNamer namer_;  // guarded by mu_
};

}  // namespace kmd::profile
