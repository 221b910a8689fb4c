// Slab allocator: one reserved virtual region cut into pages (a hard page budget), pages assigned
// to size classes on first need, chunks handed out from per-class free lists.
// A chunk is named by a 32-bit Ref = (page_index << 16) | chunk_index; kNullRef is "none".
// Thread-safety: Alloc/Free/Resolve/RefOf may be called from any thread; each class has its own
// mutex (a leaf lock: nothing else is locked while it is held); the page counter is atomic.
// Invariant: pages_used() * page_size() <= the budget given at construction, always.
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

 private:
  struct alignas(64) ClassState {
    mutable std::mutex mu;
    Ref free_head = kNullRef;
    uint64_t free_count = 0;
    uint32_t bump_page = 0xFFFFFFFFu;  // page being carved, chunks [bump_next, per_page) unused
    uint32_t bump_next = 0;
    uint64_t pages = 0;
    uint64_t used = 0;
  };
  bool ClaimPage(uint32_t* page);

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
};

}  // namespace kmd::memory
