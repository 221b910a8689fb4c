// SlabAllocator: the page region is reserved with mmap(MAP_NORESERVE) so that untouched pages
// cost no RSS; pages are committed by first touch as classes carve them. Locking: per class.
#include "core/memory/slab_allocator.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <new>

namespace kmd::memory {

namespace {
constexpr size_t kMinChunk = 32;    // header (26) + a short key, rounded to 8
constexpr size_t kFineLimit = 512;  // 8-byte steps below this
constexpr double kGrowth = 1.07;    // geometric steps above it
constexpr size_t kLookupLimit = 4096;
size_t RoundUp8(size_t n) { return (n + 7) & ~size_t{7}; }
}  // namespace

SlabClasses::SlabClasses(size_t page_size) : page_size_(page_size) {
  const size_t largest = page_size / 2;
  // A page may hold at most 65536 chunks (16-bit chunk index).
  size_t size = std::max(kMinChunk, RoundUp8(page_size / 65536 + 1));
  while (size < largest && sizes_.size() < kMaxClasses - 1) {
    sizes_.push_back(static_cast<uint32_t>(size));
    size_t next = size < kFineLimit ? size + 8 : RoundUp8(static_cast<size_t>(size * kGrowth));
    size = std::max(next, size + 8);
  }
  sizes_.push_back(static_cast<uint32_t>(largest));
  lookup_.resize(kLookupLimit / 8 + 1);
  int cls = 0;
  for (size_t i = 0; i < lookup_.size(); ++i) {
    while (cls < count() && sizes_[cls] < i * 8) ++cls;
    lookup_[i] = static_cast<uint8_t>(std::min(cls, count() - 1));
  }
}

int SlabClasses::ClassFor(size_t size) const {
  if (size <= kLookupLimit && size <= sizes_.back()) return lookup_[(size + 7) / 8];
  if (size > sizes_.back()) return -1;
  auto it = std::lower_bound(sizes_.begin(), sizes_.end(), static_cast<uint32_t>(size));
  return static_cast<int>(it - sizes_.begin());
}

SlabAllocator::SlabAllocator(size_t page_budget_bytes, size_t page_size)
    : classes_(page_size), page_size_(page_size) {
  assert(std::has_single_bit(page_size) && page_size >= 1024 && page_size <= (16u << 20));
  page_shift_ = std::countr_zero(page_size);
  page_budget_ = static_cast<uint32_t>(std::min<size_t>(page_budget_bytes / page_size, 65535));
  reserved_ = std::max<size_t>(page_budget_, 1) * page_size;
  void* p = mmap(nullptr, reserved_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  base_ = static_cast<char*>(p);
  // Item access is random over the whole region: huge pages cut TLB misses (advice only; pages
  // are still committed as classes carve them, 2 MiB at a time at most).
  madvise(base_, reserved_, MADV_HUGEPAGE);
  page_class_ = std::make_unique<uint8_t[]>(std::max<uint32_t>(page_budget_, 1));
  page_chunk_ = std::make_unique<uint32_t[]>(std::max<uint32_t>(page_budget_, 1));
  state_ = std::make_unique<ClassState[]>(classes_.count());
}

SlabAllocator::~SlabAllocator() { munmap(base_, reserved_); }

bool SlabAllocator::ClaimPage(uint32_t* page) {
  uint32_t used = pages_used_.load(std::memory_order_relaxed);
  while (used < page_budget_) {
    if (pages_used_.compare_exchange_weak(used, used + 1, std::memory_order_relaxed)) {
      *page = used;
      return true;
    }
  }
  return false;
}

Ref SlabAllocator::Alloc(int cls) {
  ClassState& s = state_[cls];
  std::lock_guard lock(s.mu);
  Ref ref = s.free_head;
  if (ref != kNullRef) {
    Ref next;
    std::memcpy(&next, Resolve(ref), sizeof(next));
    s.free_head = next;
    --s.free_count;
    ++s.used;
    return ref;
  }
  const uint32_t per_page = classes_.chunks_per_page(cls);
  if (s.bump_page == 0xFFFFFFFFu || s.bump_next >= per_page) {
    uint32_t page;
    if (!ClaimPage(&page)) return kNullRef;
    // Written before any Ref into the page leaves this mutex, so readers see it.
    page_class_[page] = static_cast<uint8_t>(cls);
    page_chunk_[page] = classes_.chunk_size(cls);
    s.bump_page = page;
    s.bump_next = 0;
    ++s.pages;
  }
  ++s.used;
  return (s.bump_page << 16) | s.bump_next++;
}

void SlabAllocator::Free(Ref ref) {
  ClassState& s = state_[ClassOf(ref)];
  std::lock_guard lock(s.mu);
  std::memcpy(Resolve(ref), &s.free_head, sizeof(Ref));
  s.free_head = ref;
  ++s.free_count;
  --s.used;
}

bool SlabAllocator::HasFree(int cls) const {
  const ClassState& s = state_[cls];
  std::lock_guard lock(s.mu);
  return s.free_head != kNullRef ||
         (s.bump_page != 0xFFFFFFFFu && s.bump_next < classes_.chunks_per_page(cls));
}

SlabClassCounters SlabAllocator::Counters(int cls) const {
  const ClassState& s = state_[cls];
  std::lock_guard lock(s.mu);
  SlabClassCounters c;
  c.pages = s.pages;
  c.used_chunks = s.used;
  c.free_chunks = s.pages * classes_.chunks_per_page(cls) - s.used;
  return c;
}

}  // namespace kmd::memory
