// SlabAllocator::ThreadCache: one thread's bins of free chunks for one allocator (internal to
// core/memory; slab_allocator.cc and slab_thread_cache.cc include it). A bin is a stack of Refs of
// one class, filled and drained by its thread only; its fill level is an atomic so that
// Counters() on another thread can read it (relaxed: a snapshot).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "core/memory/slab_allocator.h"

namespace kmd::memory {

struct SlabAllocator::ThreadCache {
  static constexpr uint32_t kMaxBin = 32;
  struct Bin {
    std::atomic<uint32_t> n{0};
    Ref refs[kMaxBin];
  };
  explicit ThreadCache(int classes) : bins(std::make_unique<Bin[]>(classes)) {}
  uint32_t epoch = 0;  // drain_epoch_ when the bins were last checked for draining pages
  std::unique_ptr<Bin[]> bins;
};

}  // namespace kmd::memory
