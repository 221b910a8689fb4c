// Slab allocator: pages from a PageSource (page_source/: an mmap arena, glibc, jemalloc or
// mimalloc), at most a hard page budget of them, assigned to size classes on first need and moved
// between classes on request (drain, then reassign). For RSS control a drained page can instead
// be parked (ReleaseDrained): its memory goes back to the OS (PageSource::Decommit) but it keeps
// its index and address, and a later claim reuses parked pages first; SetTargetPages caps the
// pages in circulation (assigned to a class) below the hard budget.
// A chunk is named by a 32-bit Ref = (page_index << 16) | chunk_index; kNullRef is "none".
// Resolve goes through a per-page table (base, chunk size, class). RefOf/ClassOfPtr find a
// pointer's page by arithmetic when the source is one contiguous reservation (the arena), else by
// a hash of the page-aligned address (sources hand out pages aligned to their size): one multiply
// and usually one load from a table of 2 slots per page.
// Free chunks sit on per-page free lists (so a page can be taken out of circulation in O(1));
// a class keeps a list of its pages that have free chunks. In front of them, each thread keeps a
// bin (a stack of Refs) per class (slab_thread_cache.{h,cc}): Alloc and Free of classes up to
// 32 KiB touch only the calling thread's bin (inline, no call, no lock), and the class mutex is
// taken once per refill or spill of half a bin. A bin's capacity starts small and grows while
// the bin thrashes, bounded in bytes per bin and per thread. A cached chunk counts as handed out
// for its page (so a page holding one cannot finish a drain) and as free in Counters().
// Thread-safety: every method may be called from any thread; each class has its own mutex, and
// claiming a new page takes the growth mutex under it (the growth mutex is the leaf lock). A bin
// is touched only by its thread, except that Counters() reads its fill level (an atomic).
// Invariants: pages_used() * page_size() <= the budget given at construction, always;
// pages_live() = pages_used() - parked pages, and a claim never raises it above target_pages(). The
// allocator writes only bytes [0, 4) of a free chunk, and a page given to a new class is zeroed
// (sources hand out zeroed pages; a moved page is cleared), so a chunk's bytes beyond 4 are
// either the caller's or zero (the store relies on this to tell live items from free chunks while
// it drains a page).
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/memory/page_source/page_source.h"

namespace kmd::memory {

using Ref = uint32_t;
inline constexpr Ref kNullRef = 0xFFFFFFFFu;

// The class table: fine 8-byte steps up to 512 bytes, then ~1.07x geometric growth (rounded to
// 8), last class = page_size / 2 (memcached's slab_chunk_max). Pure value, no locking.
class SlabClasses {
 public:
  static constexpr size_t kMaxClasses = 255;
  explicit SlabClasses(size_t page_size);
  int count() const { return static_cast<int>(sizes_.size()); }
  uint32_t chunk_size(int cls) const { return sizes_[cls]; }
  uint32_t chunks_per_page(int cls) const {
    return static_cast<uint32_t>(page_size_ / sizes_[cls]);
  }
  int largest() const { return count() - 1; }
  // Smallest class whose chunk holds `size` bytes, or -1 if larger than the largest class.
  int ClassFor(size_t size) const;

 private:
  size_t page_size_;
  std::vector<uint32_t> sizes_;
  std::vector<uint8_t> lookup_;  // (size + 7) / 8 -> class, for sizes up to 4 KiB
};

// One assigned page as ChooseVictimPage (rebalance.h) sees it.
struct PageSnapshot {
  uint32_t page = 0;
  uint32_t used = 0;      // chunks handed out and not yet freed
  bool carving = false;   // the class's bump page: part of it was never handed out
  bool draining = false;  // being emptied for a move
};

struct SlabClassCounters {
  uint64_t pages = 0;
  uint64_t used_chunks = 0;
  uint64_t free_chunks = 0;  // on the free list or never handed out in an assigned page
};

class SlabAllocator {
 public:
  // page_size must be a power of two (1 KiB .. 16 MiB); the budget is rounded down to pages and
  // capped at 65535 pages (the Ref has 16 bits of page index). Pages come from an arena.
  SlabAllocator(size_t page_budget_bytes, size_t page_size);
  // Pages from `source` (its page size); the budget is also capped at source->max_pages().
  SlabAllocator(size_t page_budget_bytes, std::unique_ptr<PageSource> source);
  // The page budget a byte budget gives (what a source for it must allow): at most 65535.
  static uint32_t BudgetPages(size_t page_budget_bytes, size_t page_size);
  ~SlabAllocator();
  SlabAllocator(const SlabAllocator&) = delete;
  SlabAllocator& operator=(const SlabAllocator&) = delete;

  const SlabClasses& classes() const { return classes_; }
  size_t page_size() const { return page_size_; }
  uint32_t page_budget() const { return page_budget_; }
  // Pages ever claimed from the source (parked ones included): indexes [0, pages_used()).
  uint32_t pages_used() const { return pages_used_.load(std::memory_order_relaxed); }
  // Pages assigned to a class now (claimed and not parked): what the item budget pays for.
  uint32_t pages_live() const { return pages_used() - pages_parked(); }
  uint32_t pages_parked() const { return parked_count_.load(std::memory_order_relaxed); }
  // Most pages in circulation at once (the RSS controller lowers it; at most page_budget()).
  uint32_t target_pages() const { return target_pages_.load(std::memory_order_relaxed); }
  void SetTargetPages(uint32_t pages);
  uint64_t pages_released() const { return pages_released_.load(std::memory_order_relaxed); }

  // A chunk of class `cls` from the thread's bin, its free list or a fresh page; kNullRef when
  // the class has no free chunk and the page budget is spent (the caller then evicts and retries).
  Ref Alloc(int cls);
  // Returns a chunk to its class. The chunk's first 4 bytes are overwritten (free-list link) once
  // it leaves the thread's bin.
  void Free(Ref ref);
  // True if class `cls` has a free chunk right now (a hint: another thread may take it).
  bool HasFree(int cls) const;
  // Gives the calling thread's cached chunks back to their pages and resets its bins' capacities.
  // A thread that stops allocating for a while (a background crawler after its pass, a worker
  // once a second) calls it so that no page waits on its bins to finish a drain.
  void FlushThreadCache();
  // Cached chunks of class `cls` in every thread's bin (a snapshot).
  uint64_t CachedChunks(int cls) const;
  // Chunks a thread's bin of class `cls` holds at most once grown (0: the class is not cached).
  uint32_t bin_capacity(int cls) const { return bin_max_[cls]; }
  // Chunks a thread's bin of class `cls` has room for at first and again after a flush.
  uint32_t bin_initial_capacity(int cls) const { return bin_init_[cls]; }
  // Bytes of chunks by which all of one thread's bins together may grow beyond their initial
  // capacities (bounds what an idle thread holds, and what a drain must wait for).
  static constexpr uint64_t kBinGrowthBytes = 256 * 1024;
  // Counts BeginDrain calls (a class's last drain is stamped with the count, so that a thread
  // syncs only the bins of classes that began a drain since it last looked).
  uint32_t drain_epoch() const { return drain_epoch_.load(std::memory_order_acquire); }

  void* Resolve(Ref ref) const {
    const PageInfo& e = pages_[ref >> 16];
    return e.base + static_cast<size_t>(ref & 0xFFFFu) * e.chunk;
  }
  // `p` must point into a chunk of a page this allocator holds.
  Ref RefOf(const void* p) const {
    const uint32_t page = PageOf(p);
    const size_t off = static_cast<size_t>(static_cast<const char*>(p) - pages_[page].base);
    return (page << 16) | static_cast<uint32_t>(off / pages_[page].chunk);
  }
  int ClassOf(Ref ref) const { return pages_[ref >> 16].cls; }
  int ClassOfPtr(const void* p) const { return pages_[PageOf(p)].cls; }

  const PageSource& page_source() const { return *source_; }
  PageSource& page_source() { return *source_; }

  SlabClassCounters Counters(int cls) const;

  // ---- page moves: BeginDrain, the caller frees every chunk of the page, FinishDrain ----
  // Pages of class `cls` (a snapshot: it may be stale by the time the caller acts on it).
  std::vector<PageSnapshot> Pages(int cls) const;
  // The first page of class `cls` after `after` in page order, wrapping (kNoPage: none; `after`
  // may be kNoPage or a page no longer of `cls`). A snapshot, as Pages().
  uint32_t NextPageOf(int cls, uint32_t after) const;
  // Chunk `chunk` (< chunks_per_page(cls)) of `page` laid out as class `cls`: always within the
  // page's memory, which stays mapped for the allocator's life, even if the page has meanwhile
  // moved to another class or been parked (the caller then reads bytes that are not a chunk
  // start, and must verify what it finds: a walk over memory order, as the CLOCK hand does).
  const void* ChunkIn(uint32_t page, int cls, uint32_t chunk) const {
    return pages_[page].base + static_cast<size_t>(chunk) * classes_.chunk_size(cls);
  }
  static constexpr uint32_t kNoPage = 0xFFFFFFFFu;
  // Takes `page` of class `cls` out of circulation: Alloc no longer hands out its chunks and Free
  // keeps them on the page. False if the page is not a fully carved, non-draining page of `cls`.
  bool BeginDrain(uint32_t page, int cls);
  // Chunks of `page` still handed out.
  uint32_t PageUsed(uint32_t page) const;
  // If no chunk of the draining `page` is handed out, reassigns it (zeroed) to class `to` and
  // returns true; otherwise leaves it draining and returns false.
  bool FinishDrain(uint32_t page, int to);
  // Puts a draining page back into circulation in its class.
  void AbortDrain(uint32_t page);
  // If no chunk of the draining `page` is handed out, parks it: its memory goes back to the OS
  // (or is zeroed where the source cannot decommit) and the next claim reuses it. True if parked.
  bool ReleaseDrained(uint32_t page);
  uint64_t pages_moved() const { return pages_moved_.load(std::memory_order_relaxed); }

 private:
  static constexpr uint8_t kListed = 1;    // on its class's partial list
  static constexpr uint8_t kDraining = 2;  // taken out of circulation for a move
  struct alignas(64) ClassState {
    mutable std::mutex mu;
    uint32_t partial_head = kNoPage;  // pages with free chunks (lazily cleaned of drained ones)
    uint32_t bump_page = kNoPage;     // page being carved, chunks [bump_next, per_page) unused
    uint32_t bump_next = 0;
    uint64_t pages = 0;
    uint64_t used = 0;
  };
  static constexpr uint8_t kNoClass = 0xFF;  // kMaxClasses < 256
  // One claimed page: where it lies, its class's chunk size and the class (kNoClass until a
  // class claims it). Written before any Ref into the page leaves the claiming class's mutex.
  // `bin` is the thread bin Free may keep a chunk of the page in: `cls` while the page is in
  // circulation, kNoClass while it drains or has no class (that bin never has room, so the
  // inline Free needs no separate check; a stale read is repaired by SyncCache).
  struct PageInfo {
    char* base = nullptr;
    uint32_t chunk = 0;
    uint8_t cls = kNoClass;
    std::atomic<uint8_t> bin{kNoClass};
  };
  static constexpr uint64_t kHashMultiplier = 0x9E3779B97F4A7C15ull;  // Fibonacci hashing

  uint32_t PageOf(const void* p) const {
    if (contiguous_ != nullptr) {
      return static_cast<uint32_t>((static_cast<const char*>(p) - contiguous_) >> page_shift_);
    }
    // Slots hold (address >> page_shift) << 16 | page index; a zero slot is empty. Pages are
    // never removed, so a probe ends at the page's own slot (`p` is in a page we hold).
    const uint64_t key = reinterpret_cast<uintptr_t>(p) >> page_shift_;
    for (uint64_t i = (key * kHashMultiplier) >> hash_shift_;; i = (i + 1) & hash_mask_) {
      const uint64_t slot = page_hash_[i].load(std::memory_order_relaxed);
      if ((slot >> 16) == key) return static_cast<uint32_t>(slot & 0xFFFFu);
      assert(slot != 0 && "RefOf/ClassOfPtr of a pointer outside this allocator's pages");
    }
  }
  void Init(size_t page_budget_bytes);
  bool ClaimPage(uint32_t* page);
  void PushFree(ClassState& s, Ref ref);
  // The unbinned paths, with the class mutex held: one chunk out (may claim a page), one back.
  Ref AllocLocked(ClassState& s, int cls, bool may_claim);
  void FreeLocked(ClassState& s, Ref ref);
  Ref AllocSlow(int cls);
  void FreeSlow(Ref ref);
  bool BeginDrainLocked(uint32_t page, int cls);
  // slab_thread_cache.{h,cc}
  struct ThreadCache;
  ThreadCache* LocalCache();  // the calling thread's bins for this allocator (see LocalCacheSlow)
  // The calling thread's bins, synced as LocalCacheSlow's, if it has made them; else null.
  ThreadCache* FindLocalCache(uint64_t key);
  uint32_t LocalCachedChunks(int cls) const;  // in the calling thread's bin (0 if it has none)
  [[gnu::noinline]] Ref AllocBinned(int cls);
  [[gnu::noinline]] void FreeBinned(Ref ref);
  Ref Refill(ThreadCache& tc, int cls);
  void FlushBin(ThreadCache& tc, int cls, uint32_t keep);
  bool GrowBin(ThreadCache& tc, int cls);
  // The calling thread's bins, synced with every drain that began (no cached chunk of a
  // draining page), made on first use; the slow part of LocalCache.
  ThreadCache* LocalCacheSlow(uint64_t key);
  void SyncCache(ThreadCache& tc);  // return cached chunks of pages of classes drained since
  void InitThreadCaches();
  void DestroyThreadCaches();
  // Takes `page` (draining, no chunk out) from its class; false if it does not qualify.
  bool DetachDrained(uint32_t page);

  SlabClasses classes_;
  size_t page_size_;
  int page_shift_;
  uint32_t page_budget_;
  std::unique_ptr<PageSource> source_;
  const char* contiguous_ = nullptr;  // the source's reservation, if it has one
  std::mutex grow_mu_;                // serializes ClaimPage (a leaf lock)
  std::atomic<uint32_t> pages_used_{0};
  std::unique_ptr<PageInfo[]> pages_;
  std::unique_ptr<std::atomic<uint64_t>[]> page_hash_;  // non-contiguous sources only
  uint64_t hash_mask_ = 0;
  int hash_shift_ = 63;
  std::unique_ptr<ClassState[]> state_;
  // Per page, guarded by the owning class's mutex: free list head (a Ref), next page on the
  // partial list, chunks handed out, kListed/kDraining.
  std::unique_ptr<Ref[]> page_free_;
  std::unique_ptr<uint32_t[]> page_next_;
  std::unique_ptr<uint32_t[]> page_used_;
  std::unique_ptr<uint8_t[]> page_flags_;
  std::atomic<uint64_t> pages_moved_{0};
  // Thread caches: this allocator's unique id (never reused, so a thread's stale entry for a
  // destroyed allocator never matches), a bin's initial and largest capacity per class, the
  // drain epoch (global, and per class the epoch of its last drain, so that a sync walks only
  // the bins of classes that began a drain), and every thread's bins (owned here, freed with the
  // allocator; a thread that exits first gives its chunks back).
  // front_key_ = id << 32 | drains (mod 2^32): a thread's front entry holds the key it last
  // synced at, so the inline paths check "this allocator, no drain since" with one compare.
  uint64_t id_ = 0;
  std::atomic<uint64_t> front_key_{0};
  std::unique_ptr<uint32_t[]> bin_init_;
  std::unique_ptr<uint32_t[]> bin_max_;
  std::atomic<uint32_t> drain_epoch_{0};
  std::unique_ptr<std::atomic<uint32_t>[]> class_drain_epoch_;
  mutable std::mutex caches_mu_;
  std::vector<std::unique_ptr<ThreadCache>> caches_;  // guarded by caches_mu_
  std::atomic<uint32_t> target_pages_{0};
  std::atomic<uint32_t> parked_count_{0};
  std::atomic<uint64_t> pages_released_{0};
  // Parked pages (guarded by grow_mu_) and, per page, whether the source decommitted it.
  std::vector<uint32_t> parked_;
  std::unique_ptr<uint8_t[]> decommitted_;
};

}  // namespace kmd::memory

#include "core/memory/slab_thread_cache.h"  // IWYU pragma: export (the inline Alloc/Free)
