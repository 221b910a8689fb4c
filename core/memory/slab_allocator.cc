// SlabAllocator: pages are claimed from the source one at a time as classes need them (an arena
// page costs no RSS until a class carves it) and given back only when the allocator is destroyed;
// a parked page's memory goes back to the OS earlier (ReleaseDrained), its index is kept.
// Locking: per class, plus the growth mutex while a page is claimed or parked. The thread bins
// in front of Alloc/Free live in slab_thread_cache.cc.
#include "core/memory/slab_allocator.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <new>

#include "core/memory/slab_thread_cache.h"

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

namespace {
std::unique_ptr<PageSource> ArenaFor(size_t page_budget_bytes, size_t page_size) {
  PageSourceOptions o;
  o.page_size = page_size;
  o.max_pages = std::max<uint32_t>(SlabAllocator::BudgetPages(page_budget_bytes, page_size), 1);
  MadePageSource made = MakePageSource(o);
  if (made.source == nullptr) throw std::bad_alloc();
  return std::move(made.source);
}
}  // namespace

uint32_t SlabAllocator::BudgetPages(size_t page_budget_bytes, size_t page_size) {
  return static_cast<uint32_t>(std::min<size_t>(page_budget_bytes / page_size, 65535));
}

SlabAllocator::SlabAllocator(size_t page_budget_bytes, size_t page_size)
    : SlabAllocator(page_budget_bytes, ArenaFor(page_budget_bytes, page_size)) {}

SlabAllocator::SlabAllocator(size_t page_budget_bytes, std::unique_ptr<PageSource> source)
    : classes_(source->page_size()), page_size_(source->page_size()), source_(std::move(source)) {
  assert(std::has_single_bit(page_size_) && page_size_ >= 1024 && page_size_ <= (16u << 20));
  page_shift_ = std::countr_zero(page_size_);
  page_budget_ = std::min(BudgetPages(page_budget_bytes, page_size_), source_->max_pages());
  target_pages_.store(page_budget_, std::memory_order_relaxed);
  const uint32_t n = std::max<uint32_t>(page_budget_, 1);
  decommitted_ = std::make_unique<uint8_t[]>(n);
  parked_.reserve(n);
  pages_ = std::make_unique<PageInfo[]>(n);
  if (!source_->contiguous().empty()) {
    contiguous_ = source_->contiguous().data();
  } else {
    // At most half full, so that a probe is short; a power of two for the mask.
    const uint64_t slots = std::bit_ceil(std::max<uint64_t>(2 * uint64_t{n}, 16));
    page_hash_ = std::make_unique<std::atomic<uint64_t>[]>(slots);
    for (uint64_t i = 0; i < slots; ++i) page_hash_[i].store(0, std::memory_order_relaxed);
    hash_mask_ = slots - 1;
    hash_shift_ = 64 - std::countr_zero(slots);
  }
  page_free_ = std::make_unique<Ref[]>(n);
  std::fill_n(page_free_.get(), n, kNullRef);
  page_next_ = std::make_unique<uint32_t[]>(n);
  page_used_ = std::make_unique<uint32_t[]>(n);
  page_flags_ = std::make_unique<uint8_t[]>(n);
  state_ = std::make_unique<ClassState[]>(classes_.count());
  InitThreadCaches();
}

SlabAllocator::~SlabAllocator() {
  DestroyThreadCaches();
  const uint32_t n = pages_used();
  for (uint32_t p = 0; p < n; ++p) source_->Free(pages_[p].base);
}

void SlabAllocator::SetTargetPages(uint32_t pages) {
  target_pages_.store(std::clamp<uint32_t>(pages, 1, std::max<uint32_t>(page_budget_, 1)),
                      std::memory_order_relaxed);
}

bool SlabAllocator::ClaimPage(uint32_t* page) {
  std::lock_guard lock(grow_mu_);
  const uint32_t n = pages_used_.load(std::memory_order_relaxed);
  if (n - static_cast<uint32_t>(parked_.size()) >= target_pages_.load(std::memory_order_relaxed)) {
    return false;
  }
  if (!parked_.empty()) {
    // A parked page reads as zeros (decommitted, or zeroed when parked): ready for a new class.
    const uint32_t p = parked_.back();
    parked_.pop_back();
    parked_count_.store(static_cast<uint32_t>(parked_.size()), std::memory_order_relaxed);
    if (decommitted_[p] != 0) source_->Recommit(pages_[p].base);
    decommitted_[p] = 0;
    *page = p;
    return true;
  }
  if (n >= page_budget_) return false;
  char* base = static_cast<char*>(source_->Allocate());
  if (base == nullptr) return false;
  // The arena carves front to back and gets nothing back while we live: page n is at base + n.
  assert(contiguous_ == nullptr || static_cast<size_t>(base - contiguous_) == size_t{n}
                                                                                  << page_shift_);
  pages_[n].base = base;
  if (page_hash_ != nullptr) {
    const uint64_t key = reinterpret_cast<uintptr_t>(base) >> page_shift_;
    uint64_t i = (key * kHashMultiplier) >> hash_shift_;
    while (page_hash_[i].load(std::memory_order_relaxed) != 0) i = (i + 1) & hash_mask_;
    // Readers find the slot only through a pointer into this page, which reaches them after the
    // claiming class's mutex (or the store's locks) published it.
    page_hash_[i].store((key << 16) | n, std::memory_order_relaxed);
  }
  pages_used_.store(n + 1, std::memory_order_release);
  *page = n;
  return true;
}

Ref SlabAllocator::AllocLocked(ClassState& s, int cls, bool may_claim) {
  if (s.partial_head != kNoPage) {
    const uint32_t p = s.partial_head;
    const Ref ref = page_free_[p];
    Ref next;
    std::memcpy(&next, Resolve(ref), sizeof(next));
    page_free_[p] = next;
    if (next == kNullRef) {
      s.partial_head = page_next_[p];
      page_flags_[p] &= static_cast<uint8_t>(~kListed);
    }
    ++page_used_[p];
    ++s.used;
    return ref;
  }
  const uint32_t per_page = classes_.chunks_per_page(cls);
  if (s.bump_page == kNoPage || s.bump_next >= per_page) {
    uint32_t page;
    if (!may_claim || !ClaimPage(&page)) return kNullRef;
    // Written before any Ref into the page leaves this mutex, so readers see it.
    pages_[page].cls = static_cast<uint8_t>(cls);
    pages_[page].chunk = classes_.chunk_size(cls);
    page_flags_[page] = 0;  // a reused parked page was left kDraining
    pages_[page].bin.store(static_cast<uint8_t>(cls), std::memory_order_relaxed);
    s.bump_page = page;
    s.bump_next = 0;
    ++s.pages;
  }
  ++s.used;
  ++page_used_[s.bump_page];
  return (s.bump_page << 16) | s.bump_next++;
}

Ref SlabAllocator::AllocSlow(int cls) {
  ClassState& s = state_[cls];
  std::lock_guard lock(s.mu);
  return AllocLocked(s, cls, /*may_claim=*/true);
}

void SlabAllocator::PushFree(ClassState& s, Ref ref) {
  const uint32_t p = ref >> 16;
  std::memcpy(Resolve(ref), &page_free_[p], sizeof(Ref));
  page_free_[p] = ref;
  if ((page_flags_[p] & (kListed | kDraining)) == 0) {
    page_next_[p] = s.partial_head;
    s.partial_head = p;
    page_flags_[p] |= kListed;
  }
}

void SlabAllocator::FreeLocked(ClassState& s, Ref ref) {
  PushFree(s, ref);
  --page_used_[ref >> 16];
  --s.used;
}

void SlabAllocator::FreeSlow(Ref ref) {
  ClassState& s = state_[ClassOf(ref)];
  std::lock_guard lock(s.mu);
  FreeLocked(s, ref);
}

bool SlabAllocator::HasFree(int cls) const {
  if (LocalCachedChunks(cls) != 0) return true;
  const ClassState& s = state_[cls];
  std::lock_guard lock(s.mu);
  return s.partial_head != kNoPage ||
         (s.bump_page != kNoPage && s.bump_next < classes_.chunks_per_page(cls));
}

SlabClassCounters SlabAllocator::Counters(int cls) const {
  const uint64_t cached = CachedChunks(cls);
  const ClassState& s = state_[cls];
  std::lock_guard lock(s.mu);
  SlabClassCounters c;
  c.pages = s.pages;
  // Bins may have changed since CachedChunks read them: a snapshot, clamped to stay sane.
  c.used_chunks = s.used - std::min(cached, s.used);
  c.free_chunks = s.pages * classes_.chunks_per_page(cls) - c.used_chunks;
  return c;
}

std::vector<PageSnapshot> SlabAllocator::Pages(int cls) const {
  const ClassState& s = state_[cls];
  std::vector<PageSnapshot> out;
  std::lock_guard lock(s.mu);
  out.reserve(s.pages);
  const uint32_t n = pages_used_.load(std::memory_order_acquire);
  for (uint32_t p = 0; p < n; ++p) {
    if (pages_[p].cls != cls) continue;
    out.push_back({p, page_used_[p], p == s.bump_page, (page_flags_[p] & kDraining) != 0});
  }
  return out;
}

uint32_t SlabAllocator::NextPageOf(int cls, uint32_t after) const {
  const ClassState& s = state_[cls];
  std::lock_guard lock(s.mu);
  const uint32_t n = pages_used_.load(std::memory_order_acquire);
  if (n == 0 || s.pages == 0) return kNoPage;
  const uint32_t start = after < n ? after + 1 : 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t p = (start + i) % n;
    if (pages_[p].cls == cls) return p;
  }
  return kNoPage;
}

bool SlabAllocator::BeginDrain(uint32_t page, int cls) {
  if (!BeginDrainLocked(page, cls)) return false;
  // The caller is about to wait for the page's chunks: its own bins go first (the drain changed
  // front_key_, so LocalCache syncs them).
  LocalCache();
  return true;
}

bool SlabAllocator::BeginDrainLocked(uint32_t page, int cls) {
  ClassState& s = state_[cls];
  std::lock_guard lock(s.mu);
  if (page >= pages_used() || pages_[page].cls != cls || (page_flags_[page] & kDraining)) {
    return false;
  }
  page_flags_[page] |= kDraining;
  pages_[page].bin.store(kNoClass, std::memory_order_relaxed);
  // Threads return cached chunks of draining pages before they next use their bins: the new
  // front key sends their next Alloc/Free to LocalCacheSlow, whose sync walks the bins of classes
  // whose drain epoch changed. Release: the class epoch and the flag above come first.
  const uint32_t epoch = drain_epoch_.fetch_add(1, std::memory_order_relaxed) + 1;
  class_drain_epoch_[cls].store(epoch, std::memory_order_relaxed);
  uint64_t key = front_key_.load(std::memory_order_relaxed);
  // The low half wraps without carrying into the id.
  while (!front_key_.compare_exchange_weak(
      key, (key & ~uint64_t{0xFFFFFFFF}) | static_cast<uint32_t>(key + 1),
      std::memory_order_release, std::memory_order_relaxed)) {
  }
  if (page_flags_[page] & kListed) {
    // Unlink from the partial list: a walk over this class's pages, not its chunks.
    uint32_t* link = &s.partial_head;
    while (*link != page) link = &page_next_[*link];
    *link = page_next_[page];
    page_flags_[page] &= static_cast<uint8_t>(~kListed);
  }
  if (page == s.bump_page) {
    // The never-handed-out rest goes on the page's own free list so that an abort loses nothing.
    const uint32_t per_page = classes_.chunks_per_page(cls);
    for (uint32_t c = s.bump_next; c < per_page; ++c) PushFree(s, (page << 16) | c);
    s.bump_page = kNoPage;
    s.bump_next = 0;
  }
  return true;
}

uint32_t SlabAllocator::PageUsed(uint32_t page) const {
  const ClassState& s = state_[pages_[page].cls];
  std::lock_guard lock(s.mu);
  return page_used_[page];
}

void SlabAllocator::AbortDrain(uint32_t page) {
  ClassState& s = state_[pages_[page].cls];
  std::lock_guard lock(s.mu);
  page_flags_[page] &= static_cast<uint8_t>(~kDraining);
  pages_[page].bin.store(pages_[page].cls, std::memory_order_relaxed);
  if (page_free_[page] != kNullRef && !(page_flags_[page] & kListed)) {
    page_next_[page] = s.partial_head;
    s.partial_head = page;
    page_flags_[page] |= kListed;
  }
}

bool SlabAllocator::DetachDrained(uint32_t page) {
  ClassState& from = state_[pages_[page].cls];
  std::lock_guard lock(from.mu);
  if (!(page_flags_[page] & kDraining) || page_used_[page] != 0) return false;
  // Stays kDraining while between classes, so no one can begin another drain of it.
  --from.pages;
  page_free_[page] = kNullRef;
  return true;
}

bool SlabAllocator::ReleaseDrained(uint32_t page) {
  if (!DetachDrained(page)) return false;
  // Outside any class lock: the madvise (or memset) of a whole page is the slow part.
  const bool decommitted = source_->Decommit(pages_[page].base);
  if (!decommitted) std::memset(pages_[page].base, 0, page_size_);
  std::lock_guard lock(grow_mu_);
  // kNoClass: BeginDrain and Pages() no longer see it; kDraining stays until it is reclaimed.
  pages_[page].cls = kNoClass;
  decommitted_[page] = decommitted ? 1 : 0;
  parked_.push_back(page);
  parked_count_.store(static_cast<uint32_t>(parked_.size()), std::memory_order_relaxed);
  pages_released_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool SlabAllocator::FinishDrain(uint32_t page, int to) {
  if (!DetachDrained(page)) return false;
  // Zeroed outside any lock: the new class's chunks start at other offsets, and stale item bytes
  // there must not read as a live item (see the header's invariant).
  std::memset(pages_[page].base, 0, page_size_);
  ClassState& s = state_[to];
  std::lock_guard lock(s.mu);
  pages_[page].cls = static_cast<uint8_t>(to);
  pages_[page].chunk = classes_.chunk_size(to);
  page_flags_[page] = 0;
  pages_[page].bin.store(static_cast<uint8_t>(to), std::memory_order_relaxed);
  ++s.pages;
  const uint32_t per_page = classes_.chunks_per_page(to);
  if (s.bump_page == kNoPage || s.bump_next >= per_page) {
    s.bump_page = page;
    s.bump_next = 0;
  } else {
    // Another move for this class won the race: the page joins as free chunks (bounded: 1 page).
    for (uint32_t c = per_page; c-- > 0;) PushFree(s, (page << 16) | c);
  }
  pages_moved_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace kmd::memory
