// What every protocol session needs from the running daemon: the store, limits, counters for
// `stats`, the live verbosity, the settings listing and the latency recorder. Owned by main;
// outlives all sessions. Thread-safety: read-only after start-up except the atomics.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/cache/store.h"
#include "core/profile/memory_monitor.h"
#include "core/reclaim/executor/rss_controller.h"
#include "protocol/common/parse.h"
#include "server/dispatch/debug_leak.h"
#include "server/dispatch/latency.h"
#include "server/net/session.h"

namespace kmd::dispatch {

using StatLines = std::vector<std::pair<std::string, std::string>>;

// The version clients see: memcached's, since clients gate features on it; our own version is
// reported as the `kotoba_version` stat.
inline constexpr const char* kWireVersion = "1.6.18";
inline constexpr const char* kKotobaVersion = "0.1.0";

struct DispatchContext {
  cache::Store* store = nullptr;
  net::ServerCounters* counters = nullptr;
  protocol::Limits limits;
  std::atomic<int> verbosity{0};
  // Appends `stats settings` lines (derived from the Config by main).
  std::function<void(StatLines*)> settings;
  uint32_t reqs_per_event = 20;  // memcached -R
  // memcached -F clears it: flush_all is refused.
  bool flush_enabled = true;
  // Requests a graceful shutdown (text `shutdown` when enabled); may be empty.
  std::function<void()> shutdown;
  // Request latency histograms (the metrics endpoint reads them); null: not measured.
  LatencyRecorder* latency = nullptr;
  // The memory profiler's monitor for `stats memory`; null: profile.enabled is false.
  const profile::MemoryMonitor* memory_monitor = nullptr;
  // debug.leak: the deliberate leak every request pays into; null: off.
  DebugLeak* debug_leak = nullptr;
  // The RSS controller for the rss_* stats; null: memory.rss_limit is off.
  const reclaim::RssController* rss_controller = nullptr;
};

}  // namespace kmd::dispatch
