// Slab allocator: one reserved virtual region cut into pages (a hard page budget), pages assigned
// to size classes on first need and moved between classes on request (drain, then reassign).
// A chunk is named by a 32-bit Ref = (page_index << 16) | chunk_index; kNullRef is "none".
// Free chunks sit on per-page free lists (so a page can be taken out of circulation in O(1));
// a class keeps a list of its pages that have free chunks.
// Thread-safety: every method may be called from any thread; each class has its own mutex (a leaf
// lock: nothing else is locked while it is held); the page counter is atomic.
// Invariants: pages_used() * page_size() <= the budget given at construction, always. The
// allocator writes only bytes [0, 4) of a free chunk, and a page given to a new class is zeroed,
// so a chunk's bytes beyond 4 are either the caller's or zero (the store relies on this to tell
// live items from free chunks while it drains a page).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

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
  // capped at 65535 pages (the Ref has 16 bits of page index).
  SlabAllocator(size_t page_budget_bytes, size_t page_size);
  ~SlabAllocator();
  SlabAllocator(const SlabAllocator&) = delete;
  SlabAllocator& operator=(const SlabAllocator&) = delete;

  const SlabClasses& classes() const { return classes_; }
  size_t page_size() const { return page_size_; }
  uint32_t page_budget() const { return page_budget_; }
  uint32_t pages_used() const { return pages_used_.load(std::memory_order_relaxed); }

  // A chunk of class `cls` from its free list or a fresh page; kNullRef when the class has no
  // free chunk and the page budget is spent (the caller then evicts and retries).
  Ref Alloc(int cls);
  // Returns a chunk to its class. The chunk's first 4 bytes are overwritten (free-list link).
  void Free(Ref ref);
  // True if class `cls` has a free chunk right now (a hint: another thread may take it).
  bool HasFree(int cls) const;

  void* Resolve(Ref ref) const {
    const uint32_t page = ref >> 16;
    return base_ + (static_cast<size_t>(page) << page_shift_) +
           static_cast<size_t>(ref & 0xFFFFu) * page_chunk_[page];
  }
  Ref RefOf(const void* p) const {
    const size_t off = static_cast<const char*>(p) - base_;
    const uint32_t page = static_cast<uint32_t>(off >> page_shift_);
    const uint32_t chunk = static_cast<uint32_t>((off & (page_size_ - 1)) / page_chunk_[page]);
    return (page << 16) | chunk;
  }
  int ClassOf(Ref ref) const { return page_class_[ref >> 16]; }
  int ClassOfPtr(const void* p) const {
    return page_class_[(static_cast<const char*>(p) - base_) >> page_shift_];
  }

  SlabClassCounters Counters(int cls) const;

  // ---- page moves: BeginDrain, the caller frees every chunk of the page, FinishDrain ----
  // Pages of class `cls` (a snapshot: it may be stale by the time the caller acts on it).
  std::vector<PageSnapshot> Pages(int cls) const;
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
  uint64_t pages_moved() const { return pages_moved_.load(std::memory_order_relaxed); }

 private:
  static constexpr uint32_t kNoPage = 0xFFFFFFFFu;
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
  bool ClaimPage(uint32_t* page);
  void PushFree(ClassState& s, Ref ref);

  SlabClasses classes_;
  size_t page_size_;
  int page_shift_;
  uint32_t page_budget_;
  char* base_ = nullptr;
  size_t reserved_ = 0;
  std::atomic<uint32_t> pages_used_{0};
  std::unique_ptr<uint8_t[]> page_class_;
  std::unique_ptr<uint32_t[]> page_chunk_;
  std::unique_ptr<ClassState[]> state_;
  // Per page, guarded by the owning class's mutex: free list head (a Ref), next page on the
  // partial list, chunks handed out, kListed/kDraining.
  std::unique_ptr<Ref[]> page_free_;
  std::unique_ptr<uint32_t[]> page_next_;
  std::unique_ptr<uint32_t[]> page_used_;
  std::unique_ptr<uint8_t[]> page_flags_;
  std::atomic<uint64_t> pages_moved_{0};
};

}  // namespace kmd::memory
