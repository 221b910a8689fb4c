// AllocSampler: the profiler's side of allocation sampling. It registers the base allocation
// hooks (core/base/alloc_sample_hook.h); for each sampled allocation it captures the call stack,
// interns it as a site (a bounded table, kMaxSites; later new stacks count as `dropped`) and
// records pointer -> (site, weight) in a bounded open-addressing table, so the matching delete
// takes the weight off the site again. A site's live bytes estimate what it holds now; its total
// bytes, what it ever allocated (both scaled by the sampling rate through the weights).
// Thread-safety: one instance registered at a time (the constructor throws if another is);
// hooks and readers from any thread (one mutex, held for a table update or a copy, never while
// symbolising). Everything the hooks touch is allocated at construction: a hook never allocates.
// The registered instance must outlive every thread that allocates (the daemon keeps it to exit).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace kmd::profile {

struct SiteFigures {
  uint32_t id = 0;
  std::vector<void*> frames;  // return addresses, the allocating function first
  uint64_t live_bytes = 0;    // estimated bytes allocated here and not yet freed
  uint64_t live_samples = 0;
  uint64_t total_bytes = 0;  // estimated bytes ever allocated here
};

struct SamplerTotals {
  uint64_t samples = 0;  // sampled allocations recorded
  uint64_t frees = 0;    // recorded ones whose delete was seen
  uint64_t dropped = 0;  // samples not recorded: site or pointer table full
  uint64_t live = 0;     // pointers in the table now
};

class AllocSampler {
 public:
  static constexpr size_t kMaxFrames = 24;
  static constexpr size_t kMaxSites = 2048;
  static constexpr size_t kPointerSlots = 1 << 15;  // at most half of them used
  // Frames captured above the allocating code (OnSample, the interposer's, operator new) at
  // most; the hook drops those up to the caller's return address the interposer passes.
  static constexpr int kSkipFrames = 8;

  // Registers the hooks when `register_hooks` (the daemon); tests drive Record/Forget directly.
  explicit AllocSampler(bool register_hooks);
  ~AllocSampler();
  AllocSampler(const AllocSampler&) = delete;
  AllocSampler& operator=(const AllocSampler&) = delete;

  // One sampled allocation at `ptr` standing for `weight` bytes, allocated from `frames`.
  void Record(const void* ptr, uint64_t weight, std::span<void* const> frames);
  // `ptr` is freed: if it was recorded, its weight leaves its site. Returns whether it was.
  bool Forget(const void* ptr);

  // Every site seen so far, by id (ids are dense, in order of first sample).
  std::vector<SiteFigures> Sites() const;
  // Live bytes by site id, cheap (no frames copied): the leak detector's per-sample read.
  std::vector<uint64_t> LiveBytesBySite() const;
  SamplerTotals Totals() const;

 private:
  struct Site {
    uint64_t hash = 0;
    uint8_t depth = 0;
    std::array<void*, kMaxFrames> frames{};
    uint64_t live_bytes = 0;
    uint64_t live_samples = 0;
    uint64_t total_bytes = 0;
  };
  struct Slot {
    const void* ptr = nullptr;  // nullptr: empty
    uint32_t site = 0;
    uint64_t weight = 0;
  };

  static void OnSample(void* ptr, size_t size, size_t weight, void* caller);
  static void OnFree(void* ptr);
  uint32_t InternSite(std::span<void* const> frames);  // kMaxSites when full; mu_ held
  size_t FindSlot(const void* ptr) const;              // kPointerSlots when absent; mu_ held
  void EraseSlot(size_t i);                            // backward-shift delete; mu_ held

  const bool registered_;
  mutable std::mutex mu_;
  std::unique_ptr<Site[]> sites_;           // guarded by mu_; [0, site_count_) in use
  size_t site_count_ = 0;                   // guarded by mu_
  std::unique_ptr<uint32_t[]> site_index_;  // hash -> site id + 1 (0: empty); guarded by mu_
  std::unique_ptr<Slot[]> slots_;           // guarded by mu_
  SamplerTotals totals_;                    // guarded by mu_
};

}  // namespace kmd::profile
