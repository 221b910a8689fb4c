// The miss paths of SlabAllocator's per-thread bins (the hits are inline in slab_thread_cache.h):
// an empty bin refills half its capacity under one lock, a full bin gives half back under one
// lock, or, when the bin has both refilled and overflowed since its last spill (it thrashes),
// doubles its capacity instead: up to kMaxBinBytes per bin and kBinGrowthBytes above the initial
// capacities per thread (as jemalloc's tcache fill counts and mimalloc's free lists adapt to the
// working set). A flush resets the capacities. Classes of chunks over kMaxCachedChunk bytes are
// not cached (their chunks are few and large: bins would hold pages' worth of memory).
// Lifetimes: an allocator owns every thread's bins for it and frees them when it is destroyed;
// a thread that exits first gives its chunks back (a registry of live allocator ids, under one
// global mutex, tells the exiting thread which allocators still exist). Ids are never reused, so
// a thread's stale entry for a destroyed allocator never matches a new one.
// Drains: BeginDrain changes front_key_, so every thread's next Alloc/Free misses its front entry
// (the same compare that checks the allocator) and syncs first: it returns any cached chunk of a
// draining page, walking only the bins of classes that began a drain since its last sync.
#include "core/memory/slab_thread_cache.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/memory/slab_allocator.h"

namespace kmd::memory {

namespace {

constexpr uint32_t kMaxCachedChunk = 32 * 1024;
constexpr uint32_t kInitBinChunks = 32;        // a bin's initial capacity: at most this many
constexpr uint32_t kInitBinBytes = 32 * 1024;  // chunks and this many bytes
constexpr uint32_t kMaxBinChunks = 512;        // a grown bin: at most this many chunks, and no more
// bytes than a thread's whole growth budget (one busy class may take all of it)
constexpr auto kMaxBinBytes = static_cast<uint32_t>(SlabAllocator::kBinGrowthBytes);

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

// The calling thread's bins, per allocator id (the one used last is also in t_slab_front).
struct LocalCaches {
  std::vector<SlabThreadFront> all;
  ~LocalCaches();
};
thread_local LocalCaches t_local;

}  // namespace

constinit thread_local SlabThreadFront t_slab_front{0, nullptr};

// Gives every bin of the calling thread back (its front entry names which bins: see ~LocalCaches).
void SlabAllocator::FlushThreadCache() {
  // A thread that never used this allocator has nothing to give back: no bins are made for it
  // (a worker's periodic flush must not allocate).
  const uint64_t key = front_key_.load(std::memory_order_acquire);
  ThreadCache* tc =
      t_slab_front.key == key ? static_cast<ThreadCache*>(t_slab_front.cache) : FindLocalCache(key);
  if (tc == nullptr) return;
  for (int cls = 0; cls < classes_.count(); ++cls) {
    FlushBin(*tc, cls, 0);
    tc->bins[cls].cap = bin_init_[cls];
    tc->bins[cls].refilled = 0;
  }
  tc->grown_bytes = 0;
}

namespace {
LocalCaches::~LocalCaches() {
  std::lock_guard lock(RegistryMutex());
  for (const SlabThreadFront& e : all) {
    auto it = Registry().find(e.key >> 32);
    if (it == Registry().end()) continue;
    // Sets this thread's front entry so that FlushThreadCache finds these bins, not new ones.
    t_slab_front = e;
    it->second->FlushThreadCache();
  }
}
}  // namespace

void SlabAllocator::InitThreadCaches() {
  id_ = NextId();
  front_key_.store(id_ << 32, std::memory_order_relaxed);
  bin_init_ = std::make_unique<uint32_t[]>(classes_.count());
  bin_max_ = std::make_unique<uint32_t[]>(classes_.count());
  class_drain_epoch_ = std::make_unique<std::atomic<uint32_t>[]>(classes_.count());
  for (int cls = 0; cls < classes_.count(); ++cls) {
    class_drain_epoch_[cls].store(0, std::memory_order_relaxed);
    const uint32_t chunk = classes_.chunk_size(cls);
    const uint32_t init = std::min(kInitBinChunks, kInitBinBytes / chunk);
    const bool cached = chunk <= kMaxCachedChunk && init >= 2;
    bin_init_[cls] = cached ? init : 0;
    bin_max_[cls] = cached ? std::max(init, std::min(kMaxBinChunks, kMaxBinBytes / chunk)) : 0;
  }
  std::lock_guard lock(RegistryMutex());
  Registry()[id_] = this;
}

void SlabAllocator::DestroyThreadCaches() {
  std::lock_guard lock(RegistryMutex());
  Registry().erase(id_);
}

SlabAllocator::ThreadCache* SlabAllocator::LocalCache() {
  // Acquire: a changed key is read after the drain's class epoch and page flag (see BeginDrain).
  const uint64_t key = front_key_.load(std::memory_order_acquire);
  if (t_slab_front.key == key) [[likely]]
    return static_cast<ThreadCache*>(t_slab_front.cache);
  return LocalCacheSlow(key);
}

SlabAllocator::ThreadCache* SlabAllocator::FindLocalCache(uint64_t key) {
  for (SlabThreadFront& e : t_local.all) {
    if ((e.key >> 32) != id_) continue;
    auto* tc = static_cast<ThreadCache*>(e.cache);
    if (tc->synced != static_cast<uint32_t>(key)) {
      tc->synced = static_cast<uint32_t>(key);
      SyncCache(*tc);
    }
    e.key = key;
    t_slab_front = e;
    return tc;
  }
  return nullptr;
}

SlabAllocator::ThreadCache* SlabAllocator::LocalCacheSlow(uint64_t key) {
  if (ThreadCache* tc = FindLocalCache(key)) return tc;
  // First use on this thread: forget entries of destroyed allocators, then make bins.
  {
    std::lock_guard lock(RegistryMutex());
    std::erase_if(t_local.all, [](const SlabThreadFront& e) {
      return Registry().find(e.key >> 32) == Registry().end();
    });
  }
  auto made = std::make_unique<ThreadCache>();
  size_t slots = 0;
  for (int cls = 0; cls < classes_.count(); ++cls) slots += 1 + bin_max_[cls];
  made->slots = std::make_unique_for_overwrite<Ref[]>(slots);
  slots = 0;
  for (int cls = 0; cls < classes_.count(); ++cls) {
    made->bins[cls].refs = made->slots.get() + slots + 1;
    made->bins[cls].cap = bin_init_[cls];
    slots += 1 + bin_max_[cls];
  }
  // Empty bins need no sync, but their drain_seen must catch up, hence one before first use.
  made->synced = ~static_cast<uint32_t>(key);
  ThreadCache* tc = made.get();
  {
    std::lock_guard lock(caches_mu_);
    caches_.push_back(std::move(made));
  }
  t_local.all.push_back({id_ << 32, tc});
  return FindLocalCache(key);
}

uint32_t SlabAllocator::LocalCachedChunks(int cls) const {
  if (bin_max_[cls] == 0) return 0;
  const ThreadCache* cache = nullptr;
  if ((t_slab_front.key >> 32) == id_) {
    cache = static_cast<const ThreadCache*>(t_slab_front.cache);
  } else {
    for (const SlabThreadFront& e : t_local.all) {
      if ((e.key >> 32) == id_) cache = static_cast<const ThreadCache*>(e.cache);
    }
  }
  if (cache == nullptr) return 0;
  return cache->bins[cls].count.load(std::memory_order_relaxed);
}

Ref SlabAllocator::AllocBinned(int cls) {
  if (bin_max_[cls] == 0) return AllocSlow(cls);
  ThreadCache& tc = *LocalCache();
  ThreadCache::Bin& b = tc.bins[cls];
  const uint32_t n = b.count.load(std::memory_order_relaxed);
  if (n == 0) return Refill(tc, cls);
  const Ref r = b.top;
  b.top = b.refs[static_cast<int>(n) - 2];
  b.count.store(n - 1, std::memory_order_relaxed);
  return r;
}

void SlabAllocator::FreeBinned(Ref ref) {
  const PageInfo& page = pages_[ref >> 16];
  const int cls = page.cls;
  if (bin_max_[cls] == 0 || page.bin.load(std::memory_order_relaxed) != cls) {
    return FreeSlow(ref);  // not cached, or the page drains
  }
  ThreadCache& tc = *LocalCache();
  ThreadCache::Bin& b = tc.bins[cls];
  uint32_t n = b.count.load(std::memory_order_relaxed);
  if (n >= b.cap) {
    // Emptied and overflowed since the last spill: the working set is larger than the bin.
    const bool grown = b.refilled != 0 && GrowBin(tc, cls);
    b.refilled = 0;
    if (!grown) {
      FlushBin(tc, cls, b.cap / 2u);
      n = b.count.load(std::memory_order_relaxed);
    }
  }
  b.refs[static_cast<int>(n) - 1] = b.top;
  b.top = ref;
  b.count.store(n + 1, std::memory_order_relaxed);
}

bool SlabAllocator::GrowBin(ThreadCache& tc, int cls) {
  ThreadCache::Bin& b = tc.bins[cls];
  const uint32_t cap = std::min(uint32_t{b.cap} * 2, bin_max_[cls]);
  const uint64_t more = uint64_t{cap - b.cap} * classes_.chunk_size(cls);
  if (more == 0 || tc.grown_bytes + more > kBinGrowthBytes) return false;
  tc.grown_bytes += more;
  b.cap = cap;
  return true;
}

Ref SlabAllocator::Refill(ThreadCache& tc, int cls) {
  ThreadCache::Bin& b = tc.bins[cls];
  b.refilled = 1;
  ClassState& s = state_[cls];
  std::lock_guard lock(s.mu);
  // One chunk for the caller (a page may be claimed for it), up to half a bin more for later
  // from what the class already has (the budget's last pages are not hoarded by one thread).
  const Ref first = AllocLocked(s, cls, /*may_claim=*/true);
  if (first == kNullRef) return kNullRef;
  uint32_t n = 0;
  const uint32_t want = b.cap / 2u;
  while (n < want) {
    const Ref r = AllocLocked(s, cls, /*may_claim=*/false);
    if (r == kNullRef) break;
    b.refs[n++] = r;
  }
  if (n != 0) b.top = b.refs[n - 1];
  b.count.store(n, std::memory_order_relaxed);
  return first;
}

void SlabAllocator::FlushBin(ThreadCache& tc, int cls, uint32_t keep) {
  ThreadCache::Bin& b = tc.bins[cls];
  const uint32_t n = b.count.load(std::memory_order_relaxed);
  if (n <= keep) return;
  b.refs[n - 1] = b.top;  // the flat stack refs[0, n)
  ClassState& s = state_[cls];
  {
    std::lock_guard lock(s.mu);
    // The oldest chunks (bottom of the stack) go back; the most recently freed stay warm.
    for (uint32_t i = 0; i < n - keep; ++i) FreeLocked(s, b.refs[i]);
  }
  std::copy(b.refs + (n - keep), b.refs + n, b.refs);
  if (keep != 0) b.top = b.refs[keep - 1];
  b.count.store(keep, std::memory_order_relaxed);
}

void SlabAllocator::SyncCache(ThreadCache& tc) {
  for (int cls = 0; cls < classes_.count(); ++cls) {
    const uint32_t drained = class_drain_epoch_[cls].load(std::memory_order_relaxed);
    if (drained == tc.drain_seen[cls]) continue;
    tc.drain_seen[cls] = drained;
    ThreadCache::Bin& b = tc.bins[cls];
    const uint32_t n = b.count.load(std::memory_order_relaxed);
    if (n == 0) continue;
    b.refs[n - 1] = b.top;  // the flat stack refs[0, n)
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const Ref r = b.refs[i];
      if (pages_[r >> 16].bin.load(std::memory_order_relaxed) == kNoClass) {
        FreeSlow(r);
      } else {
        b.refs[kept++] = r;
      }
    }
    if (kept != 0) b.top = b.refs[kept - 1];
    if (kept != n) b.count.store(kept, std::memory_order_relaxed);
  }
}

uint64_t SlabAllocator::CachedChunks(int cls) const {
  if (bin_max_[cls] == 0) return 0;
  std::lock_guard lock(caches_mu_);
  uint64_t n = 0;
  for (const auto& tc : caches_) n += tc->bins[cls].count.load(std::memory_order_relaxed);
  return n;
}

}  // namespace kmd::memory
