// Profiler: the memory profiler's parts, built from the profile.* settings and wired together:
// the allocation sampler (profile.sample_bytes > 0 and the daemon's operator new interposed),
// the item write profile, the leak detector fed by the monitor's samples (its findings logged
// once at warn), the monitor itself and the /debug/heap reporter. Owned by main for the process's
// life; it must outlive the worker threads (they call the hooks it registers).
// Thread-safety: Start/Stop from main; the parts are thread-safe.
#pragma once

#include <functional>
#include <memory>

#include "config/config.h"
#include "core/cache/store.h"
#include "core/profile/alloc_sampler.h"
#include "core/profile/heap_report.h"
#include "core/profile/item_profile.h"
#include "core/profile/leak_detector.h"
#include "core/profile/memory_monitor.h"

namespace kmd::admin {

class Profiler {
 public:
  // `read_outside`: the accounted memory outside -m (the server's buffer pools) for the monitor.
  Profiler(const config::ProfileConfig& config, const cache::Store& store,
           std::function<cache::OutsideBudget()> read_outside = {});
  void Start() { monitor_->Start(); }
  void Stop() { monitor_->Stop(); }

  const profile::MemoryMonitor& monitor() const { return *monitor_; }
  profile::LeakDetector& leaks() { return *leaks_; }
  const profile::LeakDetector& leaks() const { return *leaks_; }
  profile::HeapReporter& heap() { return *heap_; }

 private:
  std::unique_ptr<profile::AllocSampler> sampler_;  // null: allocation sampling off
  std::unique_ptr<profile::ItemProfile> items_;
  std::unique_ptr<profile::LeakDetector> leaks_;
  std::unique_ptr<profile::MemoryMonitor> monitor_;
  std::unique_ptr<profile::HeapReporter> heap_;
};

}  // namespace kmd::admin
