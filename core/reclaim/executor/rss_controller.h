// RssController: the closed loop behind memory.rss_limit. Its own thread samples the process RSS
// (every rules.interval, faster near the limit), asks DecideRss (strategy/rss_policy.h) and acts
// in bounded steps: the shrinkers in priority order, a purge of the page source and of the
// process's malloc, the store's effective item budget (pages released a few per tick), and the
// MemoryPressure admission flag. Tick() is the whole of one step, callable without the thread.
// Thread-safety: Start/Stop from one thread; Tick is serialized by the caller (the thread, or a
// test with no thread); Stats and VisitCounters from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "core/base/counters.h"
#include "core/base/shrinker.h"
#include "core/cache/store.h"
#include "core/reclaim/strategy/rss_policy.h"

namespace kmd::reclaim {

struct RssControllerOptions {
  uint64_t limit = 0;            // memory.rss_limit in bytes
  uint64_t item_budget_min = 0;  // 0: a quarter of -m
  uint32_t release_pages_per_tick = 16;
  RssRules rules;
  // The RSS source (tests inject one); empty: profile::ResidentBytes.
  std::function<uint64_t()> read_rss;
};

struct RssControllerStats {
  uint64_t limit = 0;
  RssState state = RssState::kOff;
  uint64_t rss = 0;      // last sample
  uint64_t rss_max = 0;  // highest sample
  uint64_t item_budget = 0;
  uint64_t samples = 0;
  uint64_t consumer_shrinks = 0;  // Shrink() calls made
  uint64_t consumer_bytes = 0;    // bytes they reported freeing
  uint64_t purges = 0;
  uint64_t budget_cuts = 0;
  uint64_t budget_raises = 0;
  uint64_t pages_released = 0;        // by this controller's ReleasePages calls
  uint64_t copies_refused_ticks = 0;  // ticks that set the admission flag

  // Calls f(name, value) for each figure after `state`, the one list stats and metrics render.
  template <class F>
  void ForEach(F&& f) const {
    f("limit", limit);
    f("rss", rss);
    f("rss_max", rss_max);
    f("item_budget", item_budget);
    f("samples", samples);
    f("consumer_shrinks", consumer_shrinks);
    f("consumer_bytes", consumer_bytes);
    f("purges", purges);
    f("budget_cuts", budget_cuts);
    f("budget_raises", budget_raises);
    f("pages_released", pages_released);
    f("copies_refused_ticks", copies_refused_ticks);
  }
};

class RssController {
 public:
  RssController(cache::Store& store, base::ShrinkerRegistry& shrinkers,
                base::MemoryPressure& pressure, const RssControllerOptions& options);
  ~RssController();
  RssController(const RssController&) = delete;
  RssController& operator=(const RssController&) = delete;

  void Start();
  void Stop();
  // One sample, decision and its actions; returns the decision.
  RssActions Tick();
  RssControllerStats Stats() const;
  // rss_controller_* metrics (state as a labelled gauge).
  void VisitCounters(base::CounterVisitor& visitor) const;

 private:
  void Loop();

  cache::Store& store_;
  base::ShrinkerRegistry& shrinkers_;
  base::MemoryPressure& pressure_;
  RssControllerOptions options_;
  std::chrono::steady_clock::time_point last_purge_{};
  uint32_t calm_samples_ = 0;
  mutable std::mutex stats_mu_;
  RssControllerStats stats_;
  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace kmd::reclaim
