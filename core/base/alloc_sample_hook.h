// Allocation sampling hooks: the seam between the allocation interposer (server/alloc_hooks.cc,
// linked into the daemon only) and whoever records samples (core/profile's AllocSampler). The
// interposer counts bytes per thread and, once every `SampleInterval()` bytes on average, calls
// the registered hooks; a delete asks the pointer filter first and calls the free hook only when
// the pointer may be a sampled one. Nothing registered: the interposer pays one relaxed load.
// Thread-safety: everything here is lock-free and callable from any thread, allocation paths
// included (nothing here allocates). Hooks stay registered for the process's life or until
// cleared; a cleared hook may still run once on a thread that loaded it just before.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace kmd::base {

struct AllocSampleHooks {
  // A sampled allocation of `size` bytes at `ptr`; `weight` is the bytes it stands for (the
  // unbiased estimate size / (1 - exp(-size / interval))). Runs on the allocating thread with
  // sampling suspended on it (allocations inside are not sampled). `caller` is the return address
  // into the code that called operator new: the hook's stack starts there.
  void (*on_sample)(void* ptr, size_t size, size_t weight, void* caller) = nullptr;
  // `ptr` passed the filter (it may have been sampled) and is being freed.
  void (*on_free)(void* ptr) = nullptr;
};

// Registers (or, with nullptr, clears) the hooks. `hooks` must outlive its registration.
void SetAllocSampleHooks(const AllocSampleHooks* hooks);
inline std::atomic<const AllocSampleHooks*> g_alloc_sample_hooks{nullptr};
inline const AllocSampleHooks* LoadAllocSampleHooks() {
  return g_alloc_sample_hooks.load(std::memory_order_acquire);
}

// Mean bytes between two samples (exponentially distributed intervals, as tcmalloc and
// jemalloc's prof sample). 0 disables sampling.
inline std::atomic<uint64_t> g_alloc_sample_interval{64 * 1024};
inline uint64_t SampleInterval() { return g_alloc_sample_interval.load(std::memory_order_relaxed); }
void SetSampleInterval(uint64_t bytes);

// Set while a hook runs on this thread, or while the profiler copies its tables under its lock:
// the interposer then neither samples nor reports frees on this thread (no recursion, no
// self-deadlock). Constant-initialised, so access needs no TLS wrapper call.
inline thread_local bool t_alloc_sampling_paused = false;

class ScopedAllocSamplingPause {
 public:
  ScopedAllocSamplingPause() : was_(t_alloc_sampling_paused) { t_alloc_sampling_paused = true; }
  ~ScopedAllocSamplingPause() { t_alloc_sampling_paused = was_; }
  ScopedAllocSamplingPause(const ScopedAllocSamplingPause&) = delete;
  ScopedAllocSamplingPause& operator=(const ScopedAllocSamplingPause&) = delete;

 private:
  bool was_;
};

// The interposer was linked in (set by it at start-up): without it nothing is ever sampled.
inline std::atomic<bool> g_alloc_interposed{false};

// A counting filter over sampled pointers: Add when a pointer is sampled, Remove when its
// sampled record is dropped; MayContain is false for every pointer never added (so the delete
// fast path is one shift, one load and a compare) and true for every one added and not removed.
// Counters saturate at 255 and then stay set (a false positive costs one table lookup, no more).
class SampledPointerFilter {
 public:
  static constexpr size_t kSlots = 1 << 16;
  static size_t Slot(const void* ptr) {
    const uint64_t p = reinterpret_cast<uintptr_t>(ptr) >> 4;
    return static_cast<size_t>((p * 0x9E3779B97F4A7C15ull) >> 48);
  }
  bool MayContain(const void* ptr) const {
    return counts_[Slot(ptr)].load(std::memory_order_relaxed) != 0;
  }
  void Add(const void* ptr);
  void Remove(const void* ptr);

 private:
  std::atomic<uint8_t> counts_[kSlots] = {};
};

inline SampledPointerFilter g_sampled_pointers;

}  // namespace kmd::base
