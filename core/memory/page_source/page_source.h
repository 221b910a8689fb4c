// PageSource: where the slab allocator's pages come from. One interface, four backends chosen by
// config `memory.allocator`: arena (one mmap reservation, optionally huge pages), system (glibc's
// aligned_alloc even when another malloc is preloaded), jemalloc and mimalloc (dlopen'ed
// RTLD_LOCAL, so neither replaces the process's malloc). Allocate() returns a zeroed page of
// page_size bytes aligned to page_size, or nullptr; at most max_pages are out at once.
// Thread-safety: every method may be called from any thread. The counters are kept here, once,
// around the backends' Do* hooks, so every backend reports the same figures the same way.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/base/counters.h"

namespace kmd::memory {

enum class PageSourceKind : uint8_t { kArena, kSystem, kJemalloc, kMimalloc };

// "arena", "system", "jemalloc", "mimalloc" (config memory.allocator spells them so).
std::string_view PageSourceName(PageSourceKind kind);
std::optional<PageSourceKind> ParsePageSourceKind(std::string_view name);
inline constexpr PageSourceKind kAllPageSources[] = {
    PageSourceKind::kArena, PageSourceKind::kSystem, PageSourceKind::kJemalloc,
    PageSourceKind::kMimalloc};

struct PageSourceOptions {
  PageSourceKind kind = PageSourceKind::kArena;
  size_t page_size = 1u << 20;  // a power of two, 4 KiB .. 16 MiB
  uint32_t max_pages = 1;       // pages out at once; the arena reserves exactly this many
  bool huge_pages = false;      // arena only: MAP_HUGETLB 2 MiB pages (fallback: THP advice)
};

struct PageSourceStats {
  uint64_t allocations = 0;  // pages handed out, ever
  uint64_t frees = 0;        // pages given back, ever
  uint64_t bytes = 0;        // bytes out now (pages * page_size)
  uint64_t peak_bytes = 0;   // highest `bytes` seen
  uint64_t purges = 0;       // Purge() calls
  uint64_t decommits = 0;    // pages whose memory Decommit() gave back to the OS, ever
  // What the backend itself reports holding (jemalloc stats.mapped, mimalloc's committed bytes,
  // glibc's mmapped + heap bytes, the arena's touched pages); for jemalloc, mimalloc and glibc
  // that includes whatever else the library serves in this process.
  uint64_t backend_bytes = 0;

  // Calls f(name, value) for each figure, in declaration order: the one list that stats, JSON
  // and other reports render.
  template <class F>
  void ForEach(F&& f) const {
    f("allocations", allocations);
    f("frees", frees);
    f("bytes", bytes);
    f("peak_bytes", peak_bytes);
    f("purges", purges);
    f("decommits", decommits);
    f("backend_bytes", backend_bytes);
  }
};

class PageSource {
 public:
  virtual ~PageSource() = default;
  PageSource(const PageSource&) = delete;
  PageSource& operator=(const PageSource&) = delete;

  // A zeroed, page-aligned page; nullptr when max_pages are out or the backend has no memory.
  void* Allocate();
  // Gives back a page from Allocate() of this source.
  void Free(void* page);
  // Returns memory the backend holds but does not use to the OS (jemalloc arena purge,
  // mi_collect, malloc_trim, MADV_DONTNEED of the arena's free pages).
  void Purge();
  // Gives the memory of a page that stays out (the caller keeps it, e.g. parked by the RSS
  // controller) back to the OS with madvise(MADV_DONTNEED): the address stays valid and reads as
  // zeros afterwards, on every backend (their pages are private anonymous memory). False, and
  // nothing done, when the page size is not a multiple of the mapping's page (e.g. 1 KiB pages,
  // or 1 MiB pages of a MAP_HUGETLB arena). Recommit() is called before the page is used again.
  bool Decommit(void* page);
  void Recommit(void* page);
  PageSourceStats Stats() const;
  // Reports Stats() as page_source_* metrics labelled allocator=<name>.
  void VisitCounters(base::CounterVisitor& visitor) const;

  PageSourceKind kind() const { return kind_; }
  std::string_view name() const { return PageSourceName(kind_); }
  size_t page_size() const { return page_size_; }
  uint32_t max_pages() const { return max_pages_; }
  // The arena's reservation (every page lies inside it, at base + i * page_size); empty for the
  // other backends, whose pages lie anywhere.
  virtual std::span<char> contiguous() const { return {}; }

 protected:
  PageSource(PageSourceKind kind, size_t page_size, uint32_t max_pages)
      : kind_(kind), page_size_(page_size), max_pages_(max_pages) {}
  virtual void* DoAllocate() = 0;  // zeroed and aligned, or nullptr
  virtual void DoFree(void* page) = 0;
  virtual void DoPurge() = 0;
  // Default: madvise(MADV_DONTNEED) when page_size is a multiple of the OS page.
  virtual bool DoDecommit(void* page);
  virtual void DoRecommit(void* /*page*/) {}
  virtual uint64_t BackendBytes() const = 0;

 private:
  const PageSourceKind kind_;
  const size_t page_size_;
  const uint32_t max_pages_;
  std::atomic<uint32_t> out_{0};
  std::atomic<uint64_t> allocations_{0};
  std::atomic<uint64_t> frees_{0};
  std::atomic<uint64_t> peak_pages_{0};
  std::atomic<uint64_t> purges_{0};
  std::atomic<uint64_t> decommits_{0};
};

// A source, or why there is none (error names the library and the cause), plus a warning for
// the caller to log when the source works but not as asked (huge pages refused by the kernel).
// Core does not log: the daemon's main does.
struct MadePageSource {
  std::unique_ptr<PageSource> source;
  std::string error;
  std::string warning;
};
MadePageSource MakePageSource(const PageSourceOptions& options);

}  // namespace kmd::memory
