// Per-thread bins in front of SlabAllocator's class mutexes: Alloc pops from the calling thread's
// bin of the class and Free pushes to it; a refill takes half a bin under one lock, a full bin
// gives half back under one lock. Classes of chunks over kMaxCachedChunk bytes are not cached
// (their chunks are few and large: bins would hold pages' worth of memory).
// Lifetimes: an allocator owns every thread's bins for it and frees them when it is destroyed;
// a thread that exits first gives its chunks back (a registry of live allocator ids, under one
// global mutex, tells the exiting thread which allocators still exist). Ids are never reused, so
// a thread's stale entry for a destroyed allocator never matches a new one.
// Drains: BeginDrain bumps drain_epoch_; a thread compares it with its bins' epoch on every
// Alloc/Free (one relaxed load) and first returns any chunk of a draining page.
#include "core/memory/slab_thread_cache.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/memory/slab_allocator.h"

namespace kmd::memory {

namespace {

constexpr uint32_t kMaxCachedChunk = 32 * 1024;
constexpr uint32_t kBinBytes = 32 * 1024;  // a bin holds at most this many bytes of chunks

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}
// Live allocators by id; guarded by RegistryMutex().
std::unordered_map<uint64_t, SlabAllocator*>& Registry() {
  static auto* live = new std::unordered_map<uint64_t, SlabAllocator*>();  // never destroyed:
  return *live;  // threads may exit after static destruction began
}
uint64_t NextId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// The calling thread's bins, per allocator id. The last one used is kept in front, in a trivially
// destructible thread_local of its own so that the fast path is one TLS load (no init guard).
struct CacheEntry {
  uint64_t id;
  void* cache;  // SlabAllocator::ThreadCache*, owned by the allocator
};
constinit thread_local CacheEntry t_last{0, nullptr};
struct LocalCaches {
  std::vector<CacheEntry> all;
  ~LocalCaches();
};
thread_local LocalCaches t_local;

}  // namespace

// Gives every bin of the calling thread back (its front entry names which bins: see ~LocalCaches).
void SlabAllocator::FlushThreadCache() {
  // A thread that never used this allocator has nothing to give back: no bins are made for it
  // (a worker's periodic flush must not allocate).
  ThreadCache* tc = t_last.id == id_ ? static_cast<ThreadCache*>(t_last.cache) : FindLocalCache();
  if (tc == nullptr) return;
  for (int cls = 0; cls < classes_.count(); ++cls) FlushBin(*tc, cls, 0);
}

namespace {
LocalCaches::~LocalCaches() {
  std::lock_guard lock(RegistryMutex());
  for (const CacheEntry& e : all) {
    auto it = Registry().find(e.id);
    if (it == Registry().end()) continue;
    // Sets this thread's front entry so that FlushThreadCache finds these bins, not new ones.
    t_last = e;
    it->second->FlushThreadCache();
  }
}
}  // namespace

void SlabAllocator::InitThreadCaches() {
  id_ = NextId();
  bin_cap_ = std::make_unique<uint32_t[]>(classes_.count());
  for (int cls = 0; cls < classes_.count(); ++cls) {
    const uint32_t chunk = classes_.chunk_size(cls);
    const uint32_t cap =
        chunk > kMaxCachedChunk ? 0 : std::min(ThreadCache::kMaxBin, kBinBytes / chunk);
    bin_cap_[cls] = cap >= 2 ? cap : 0;
  }
  std::lock_guard lock(RegistryMutex());
  Registry()[id_] = this;
}

void SlabAllocator::DestroyThreadCaches() {
  std::lock_guard lock(RegistryMutex());
  Registry().erase(id_);
}

SlabAllocator::ThreadCache* SlabAllocator::LocalCache() {
  if (t_last.id == id_) [[likely]]
    return static_cast<ThreadCache*>(t_last.cache);
  return LocalCacheSlow();
}

SlabAllocator::ThreadCache* SlabAllocator::FindLocalCache() {
  for (const CacheEntry& e : t_local.all) {
    if (e.id == id_) {
      t_last = e;
      return static_cast<ThreadCache*>(e.cache);
    }
  }
  return nullptr;
}

SlabAllocator::ThreadCache* SlabAllocator::LocalCacheSlow() {
  if (ThreadCache* tc = FindLocalCache()) return tc;
  // First use on this thread: forget entries of destroyed allocators, then make bins.
  {
    std::lock_guard lock(RegistryMutex());
    std::erase_if(t_local.all,
                  [](const CacheEntry& e) { return Registry().find(e.id) == Registry().end(); });
  }
  auto made = std::make_unique<ThreadCache>(classes_.count());
  made->epoch = drain_epoch_.load(std::memory_order_acquire);
  ThreadCache* tc = made.get();
  {
    std::lock_guard lock(caches_mu_);
    caches_.push_back(std::move(made));
  }
  t_last = {id_, tc};
  t_local.all.push_back(t_last);
  return tc;
}

uint32_t SlabAllocator::LocalCachedChunks(int cls) const {
  if (bin_cap_[cls] == 0) return 0;
  const void* cache = nullptr;
  if (t_last.id == id_) {
    cache = t_last.cache;
  } else {
    for (const CacheEntry& e : t_local.all) {
      if (e.id == id_) cache = e.cache;
    }
  }
  if (cache == nullptr) return 0;
  return static_cast<const ThreadCache*>(cache)->bins[cls].n.load(std::memory_order_relaxed);
}

// Fast paths: the thread's front entry matches, no drain began since the bins were checked, and
// the bin has a chunk (Alloc) or room (Free). Everything else is in the out-of-line *Binned.
Ref SlabAllocator::Alloc(int cls) {
  if (t_last.id == id_) [[likely]] {
    ThreadCache& tc = *static_cast<ThreadCache*>(t_last.cache);
    ThreadCache::Bin& b = tc.bins[cls];
    const uint32_t n = b.n.load(std::memory_order_relaxed);
    if (n != 0 && tc.epoch == drain_epoch_.load(std::memory_order_acquire)) [[likely]] {
      b.n.store(n - 1, std::memory_order_relaxed);
      return b.refs[n - 1];
    }
  }
  return AllocBinned(cls);
}

void SlabAllocator::Free(Ref ref) {
  const uint32_t page = ref >> 16;
  const int cls = pages_[page].cls;
  if (t_last.id == id_ && page_draining_[page].load(std::memory_order_relaxed) == 0) [[likely]] {
    ThreadCache& tc = *static_cast<ThreadCache*>(t_last.cache);
    ThreadCache::Bin& b = tc.bins[cls];
    const uint32_t n = b.n.load(std::memory_order_relaxed);
    if (n < bin_cap_[cls] && tc.epoch == drain_epoch_.load(std::memory_order_acquire)) [[likely]] {
      b.refs[n] = ref;
      b.n.store(n + 1, std::memory_order_relaxed);
      return;
    }
  }
  FreeBinned(ref);
}

Ref SlabAllocator::AllocBinned(int cls) {
  if (bin_cap_[cls] == 0) return AllocSlow(cls);
  ThreadCache& tc = *LocalCache();
  if (tc.epoch != drain_epoch_.load(std::memory_order_acquire)) SyncCache(tc);
  ThreadCache::Bin& b = tc.bins[cls];
  const uint32_t n = b.n.load(std::memory_order_relaxed);
  if (n == 0) return Refill(tc, cls);
  b.n.store(n - 1, std::memory_order_relaxed);
  return b.refs[n - 1];
}

void SlabAllocator::FreeBinned(Ref ref) {
  const uint32_t page = ref >> 16;
  const int cls = pages_[page].cls;
  const uint32_t cap = bin_cap_[cls];
  if (cap == 0 || page_draining_[page].load(std::memory_order_relaxed) != 0) return FreeSlow(ref);
  ThreadCache& tc = *LocalCache();
  if (tc.epoch != drain_epoch_.load(std::memory_order_acquire)) SyncCache(tc);
  ThreadCache::Bin& b = tc.bins[cls];
  uint32_t n = b.n.load(std::memory_order_relaxed);
  if (n == cap) {
    FlushBin(tc, cls, cap / 2);
    n = cap / 2;
  }
  b.refs[n] = ref;
  b.n.store(n + 1, std::memory_order_relaxed);
}

Ref SlabAllocator::Refill(ThreadCache& tc, int cls) {
  ThreadCache::Bin& b = tc.bins[cls];
  ClassState& s = state_[cls];
  std::lock_guard lock(s.mu);
  // One chunk for the caller (a page may be claimed for it), up to half a bin more for later
  // from what the class already has (the budget's last pages are not hoarded by one thread).
  const Ref first = AllocLocked(s, cls, /*may_claim=*/true);
  if (first == kNullRef) return kNullRef;
  uint32_t n = 0;
  const uint32_t want = bin_cap_[cls] / 2;
  while (n < want) {
    const Ref r = AllocLocked(s, cls, /*may_claim=*/false);
    if (r == kNullRef) break;
    b.refs[n++] = r;
  }
  b.n.store(n, std::memory_order_relaxed);
  return first;
}

void SlabAllocator::FlushBin(ThreadCache& tc, int cls, uint32_t keep) {
  ThreadCache::Bin& b = tc.bins[cls];
  const uint32_t n = b.n.load(std::memory_order_relaxed);
  if (n <= keep) return;
  ClassState& s = state_[cls];
  std::lock_guard lock(s.mu);
  // The oldest chunks (bottom of the stack) go back; the most recently freed stay warm.
  const uint32_t give = n - keep;
  for (uint32_t i = 0; i < give; ++i) FreeLocked(s, b.refs[i]);
  std::copy(b.refs + give, b.refs + n, b.refs);
  b.n.store(keep, std::memory_order_relaxed);
}

void SlabAllocator::SyncCache(ThreadCache& tc) {
  tc.epoch = drain_epoch_.load(std::memory_order_acquire);
  for (int cls = 0; cls < classes_.count(); ++cls) {
    ThreadCache::Bin& b = tc.bins[cls];
    const uint32_t n = b.n.load(std::memory_order_relaxed);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const Ref r = b.refs[i];
      if (page_draining_[r >> 16].load(std::memory_order_relaxed) != 0) {
        FreeSlow(r);
      } else {
        b.refs[kept++] = r;
      }
    }
    if (kept != n) b.n.store(kept, std::memory_order_relaxed);
  }
}

uint64_t SlabAllocator::CachedChunks(int cls) const {
  if (bin_cap_[cls] == 0) return 0;
  std::lock_guard lock(caches_mu_);
  uint64_t n = 0;
  for (const auto& tc : caches_) n += tc->bins[cls].n.load(std::memory_order_relaxed);
  return n;
}

}  // namespace kmd::memory
