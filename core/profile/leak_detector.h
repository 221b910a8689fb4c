// LeakDetector: flags memory that grows without being accounted to items, pools or buffers.
// Series are judged with JudgeGrowth (trend_stats.h) over the last `window`: (a) the monitor's
// `unaccounted` (RSS minus every accounted kind), which must grow both as it is and with free slab
// space counted as unaccounted too: the first fill of slab pages (accounted when handed to a
// class, resident only once touched) raises only the first, items freed only the second; a
// leak raises both. (b) Per allocation site, the live bytes the AllocSampler estimates. Series hold
// at most kMaxPoints points: a point is taken every `step` samples (unaccounted: the median of the
// step's samples, so one noisy sample does not move it). Nothing is judged before the series span
// the window, so start-up growth is in the past by then; warm-up growth that flattens fails the
// rule's newer-half tests. A finding, once made, stays listed (active while the series still
// grows); on_found runs once per finding when first made. Thread-safety: Observe (monitor thread),
// Analyze, Report and VisitCounters from any thread (one mutex; the analysis runs under it, a few
// ms at most). The sampler (may be null: unaccounted only) must outlive the detector.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/base/counters.h"
#include "core/profile/alloc_sampler.h"
#include "core/profile/memory_sample.h"
#include "core/profile/symbolize.h"
#include "core/profile/trend_stats.h"

namespace kmd::profile {

struct LeakOptions {
  std::chrono::milliseconds window{std::chrono::minutes(5)};
  std::chrono::milliseconds interval{1000};  // the monitor's sampling interval
  // A site's live bytes move only with its own allocations: a low floor. RSS also moves with the
  // allocator's caches and with structures that grow until the cache is warm (the adaptive
  // policy's maps grew a few KiB/s through the first minute of a fill in our runs): a higher one.
  GrowthRules site_rules = {.min_slope = 512};
  GrowthRules unaccounted_rules = {.min_slope = 16 * 1024};
  // False: only call sites are judged (e.g. under AddressSanitizer, whose quarantine of freed
  // memory grows RSS by design).
  bool judge_unaccounted = true;
};

struct LeakFinding {
  static constexpr int64_t kUnaccounted = -1;
  int64_t site_id = kUnaccounted;  // AllocSampler site id, or kUnaccounted
  std::string site;                // naming frame, or "unaccounted"
  std::vector<std::string> stack;  // top frames, the allocating function first (sites only)
  double bytes_per_second = 0;     // Theil-Sen slope at the last judgement that found growth
  double confidence = 0;           // 1 - p of the window's Mann-Kendall test, same judgement
  uint64_t bytes = 0;              // live sampled bytes (unaccounted: the figure) when judged
  int64_t first_found_ms = 0;      // Unix time
  int64_t last_growing_ms = 0;
  bool active = false;  // the latest judgement found growth
};

struct LeakReport {
  std::vector<LeakFinding> findings;  // active first, then by growth rate
  bool judging = false;               // the series span the window
  double window_seconds = 0;
  size_t points = 0;
  size_t sites = 0;
  SamplerTotals sampler;
  uint64_t analysis_ns = 0;  // this report's judgement
};

class LeakDetector {
 public:
  static constexpr size_t kMaxPoints = 120;
  static constexpr size_t kStackFrames = 8;
  static constexpr size_t kMaxExportedSites = 8;  // label values of the growth metric
  using OnFound = std::function<void(const LeakFinding&)>;

  LeakDetector(const AllocSampler* sampler, const LeakOptions& options, OnFound on_found);

  // One monitor sample (every interval).
  void Observe(const MemorySample& sample);
  // Judges every series now; what Observe does once per point.
  void Analyze();
  // Analyze(), then the findings and figures.
  LeakReport Report();
  // leak_suspects, leak_growth_bytes_per_second{site}: the active findings (fastest first,
  // at most kMaxExportedSites labels).
  void VisitCounters(base::CounterVisitor& visitor) const;

 private:
  struct Series {
    std::vector<double> values;  // ring aligned with times_
  };
  void AnalyzeLocked(std::vector<LeakFinding>* found);
  void Record(int64_t site_id, const GrowthVerdict& verdict, double now_bytes, int64_t now_ms,
              std::vector<LeakFinding>* found);
  std::vector<double> Ordered(const std::vector<double>& ring) const;
  void Notify(const std::vector<LeakFinding>& found) const;

  const AllocSampler* sampler_;
  const LeakOptions options_;
  const OnFound on_found_;
  const size_t step_;      // samples per point
  const size_t capacity_;  // points per window
  mutable std::mutex mu_;
  // The samples of the point being built (unaccounted; + slab_free); guarded by mu_.
  std::vector<double> block_;
  std::vector<double> block_free_;
  std::vector<double> times_;  // point times, seconds since the first; ring; guarded by mu_
  size_t next_ = 0;            // ring slot of the next point; guarded by mu_
  size_t held_ = 0;            // points held; guarded by mu_
  int64_t first_ms_ = -1;      // guarded by mu_
  int64_t last_ms_ = 0;        // guarded by mu_
  Series unaccounted_;         // guarded by mu_
  Series unaccounted_free_;    // unaccounted + slab_free; guarded by mu_
  std::vector<Series> sites_;  // by site id; guarded by mu_
  std::map<int64_t, LeakFinding> found_;  // by site id; guarded by mu_
  FrameNamer namer_;                      // guarded by mu_
};

}  // namespace kmd::profile
