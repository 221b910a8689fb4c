// Registration and the pointer filter's updates (the read side is inline in the header).
#include "core/base/alloc_sample_hook.h"

namespace kmd::base {

void SetAllocSampleHooks(const AllocSampleHooks* hooks) {
  g_alloc_sample_hooks.store(hooks, std::memory_order_release);
}

void SetSampleInterval(uint64_t bytes) {
  g_alloc_sample_interval.store(bytes, std::memory_order_relaxed);
}

void SampledPointerFilter::Add(const void* ptr) {
  std::atomic<uint8_t>& c = counts_[Slot(ptr)];
  uint8_t v = c.load(std::memory_order_relaxed);
  while (v != 255 && !c.compare_exchange_weak(v, v + 1, std::memory_order_relaxed)) {
  }
}

void SampledPointerFilter::Remove(const void* ptr) {
  std::atomic<uint8_t>& c = counts_[Slot(ptr)];
  uint8_t v = c.load(std::memory_order_relaxed);
  // A saturated counter has lost count of its members: it stays set.
  while (v != 0 && v != 255 && !c.compare_exchange_weak(v, v - 1, std::memory_order_relaxed)) {
  }
}

}  // namespace kmd::base
