// SlabAllocator::ThreadCache and the inline Alloc/Free hit paths (included at the end of
// slab_allocator.h; the miss paths are in slab_thread_cache.cc). A bin is a LIFO stack of Refs
// of one class: its top in `top`, the rest in a slice of the thread's slot array sized for the
// bin's largest capacity. A hit is one index step with no lock and no touch of the chunk (a list
// linked through the chunks would make each pop wait for the previous chunk's link); keeping the
// top apart means a Free followed by an Alloc hands the Ref over without a load that depends on
// the count.
// Thread-safety: a bin's slots and cap are touched by its thread only; its count is an atomic so
// that Counters() on another thread can read it (relaxed: a snapshot). A thread notices a drain
// by its front key no longer matching the allocator's (see front_key_).
// Invariant: count <= cap <= bin_capacity(cls); with count = n > 0, the stack is refs[0, n - 1)
// then top (refs[n - 1] is stale); refs[-1] is a spare slot so that neither hit path branches on
// n == 1 or n == 0.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "core/memory/slab_allocator.h"

namespace kmd::memory {

struct alignas(64) SlabAllocator::ThreadCache {
  struct alignas(32) Bin {
    Ref* refs = nullptr;  // bin_capacity(cls) slots after the spare refs[-1]; oldest first
    std::atomic<uint32_t> count{0};
    Ref top = kNullRef;
    uint32_t cap = 0;       // grows while the bin thrashes (see GrowBin), reset by a flush
    uint32_t refilled = 0;  // a refill happened since the bin last overflowed
  };
  uint32_t synced = 0;           // the low half of front_key_ when the bins were last synced
  uint64_t grown_bytes = 0;      // bytes of cap above the classes' initial caps, all bins together
  std::unique_ptr<Ref[]> slots;  // every bin's slots (and spare), one allocation
  // One per class, and bins[kNoClass] that never has room (PageInfo::bin of a draining page).
  Bin bins[SlabClasses::kMaxClasses + 1];
  // Per class, its drain epoch when this thread's bin was last checked for draining pages.
  uint32_t drain_seen[SlabClasses::kMaxClasses] = {};
};

// The calling thread's bins for the allocator it used last, and that allocator's front key when
// they were last synced (0: none). Trivially destructible and constant-initialised, so reading
// it is a TLS load with no init guard.
struct SlabThreadFront {
  uint64_t key;  // id << 32 | drain count: see SlabAllocator::front_key_
  void* cache;   // SlabAllocator::ThreadCache*, owned by the allocator
};
extern constinit thread_local SlabThreadFront t_slab_front;

// Hit: this thread's front entry is this allocator's, no drain began since its bins were
// synced, and the bin has a chunk. Everything else goes out of line to AllocBinned.
inline Ref SlabAllocator::Alloc(int cls) {
  const SlabThreadFront front = t_slab_front;
  if (front.key == front_key_.load(std::memory_order_relaxed)) [[likely]] {
    ThreadCache& tc = *static_cast<ThreadCache*>(front.cache);
    ThreadCache::Bin& b = tc.bins[cls];
    const uint32_t n = b.count.load(std::memory_order_relaxed);
    if (n != 0) [[likely]] {
      const Ref r = b.top;
      b.top = b.refs[static_cast<int>(n) - 2];
      b.count.store(n - 1, std::memory_order_relaxed);
      return r;
    }
  }
  return AllocBinned(cls);
}

// Hit: as Alloc, and the bin of the chunk's page (none while it drains) has room.
inline void SlabAllocator::Free(Ref ref) {
  const PageInfo& page = pages_[ref >> 16];
  const SlabThreadFront front = t_slab_front;
  if (front.key == front_key_.load(std::memory_order_relaxed)) [[likely]] {
    ThreadCache& tc = *static_cast<ThreadCache*>(front.cache);
    ThreadCache::Bin& b = tc.bins[page.bin.load(std::memory_order_relaxed)];
    const uint32_t n = b.count.load(std::memory_order_relaxed);
    if (n < b.cap) [[likely]] {
      b.refs[static_cast<int>(n) - 1] = b.top;
      b.top = ref;
      b.count.store(n + 1, std::memory_order_relaxed);
      return;
    }
  }
  FreeBinned(ref);
}

}  // namespace kmd::memory
