// The arena backend: one mmap reservation of max_pages pages, aligned to the page size; pages are
// carved front to back, freed pages are kept on a free list and reused first. Untouched pages
// cost no RSS (MAP_NORESERVE, committed on first touch); Purge hands freed pages back with
// MADV_DONTNEED, after which they read as zero; a freed page not yet purged is zeroed on reuse.
// Decommit (a page kept out but parked) is the same madvise on a page that stays handed out.
// Huge pages: `huge_pages` asks for MAP_HUGETLB 2 MiB pages (reserved up front, so a shortage
// fails here, not as a SIGBUS later); refused, or not asked, the region is advised
// MADV_HUGEPAGE (transparent huge pages: item access is random over the whole region).
// Thread-safety: one mutex around the carving cursor and the free list (page calls are rare).
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "core/memory/page_source/backends.h"

namespace kmd::memory::detail {
namespace {

constexpr size_t kOsPage = 4096;
constexpr size_t kHugePage = 2u << 20;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

std::string FirstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line.empty() ? "?" : line;
}

// A mapping of `usable` bytes at an address aligned to `align`; granule = the mapping's page.
char* MapAligned(size_t usable, size_t align, size_t granule, int flags) {
  const size_t extra = align > granule ? align : 0;
  void* p = mmap(nullptr, usable + extra, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  char* raw = static_cast<char*>(p);
  char* base = reinterpret_cast<char*>(RoundUp(reinterpret_cast<uintptr_t>(raw), align));
  const size_t head = static_cast<size_t>(base - raw);
  if (head != 0) munmap(raw, head);
  if (extra - head != 0) munmap(base + usable, extra - head);
  return base;
}

class ArenaPageSource final : public PageSource {
 public:
  ArenaPageSource(const PageSourceOptions& o, char* base, size_t mapped, bool hugetlb)
      : PageSource(PageSourceKind::kArena, o.page_size, o.max_pages),
        base_(base),
        mapped_(mapped),
        // MADV_DONTNEED needs whole pages of the mapping.
        can_purge_(o.page_size % (hugetlb ? kHugePage : kOsPage) == 0),
        dirty_(o.max_pages, 0) {}
  ~ArenaPageSource() override { munmap(base_, mapped_); }

  std::span<char> contiguous() const override { return {base_, size_t{max_pages()} * page_size()}; }

 protected:
  void* DoAllocate() override {
    uint32_t page;
    bool dirty = false;
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        page = free_.back();
        free_.pop_back();
        dirty = dirty_[page] != 0;
        dirty_[page] = 0;
        if (!dirty) ++committed_;
      } else if (next_ < max_pages()) {
        page = next_++;
        ++committed_;
      } else {
        return nullptr;
      }
    }
    char* p = base_ + size_t{page} * page_size();
    if (dirty) std::memset(p, 0, page_size());
    return p;
  }

  void DoFree(void* page) override {
    const auto index = static_cast<uint32_t>((static_cast<char*>(page) - base_) / page_size());
    std::lock_guard lock(mu_);
    dirty_[index] = 1;
    free_.push_back(index);
  }

  void DoPurge() override {
    if (!can_purge_) return;
    std::lock_guard lock(mu_);
    for (uint32_t page : free_) {
      if (dirty_[page] == 0) continue;
      if (madvise(base_ + size_t{page} * page_size(), page_size(), MADV_DONTNEED) != 0) continue;
      dirty_[page] = 0;
      --committed_;
    }
  }

  bool DoDecommit(void* page) override {
    if (!can_purge_ || madvise(page, page_size(), MADV_DONTNEED) != 0) return false;
    std::lock_guard lock(mu_);
    --committed_;
    return true;
  }

  void DoRecommit(void* /*page*/) override {
    std::lock_guard lock(mu_);
    ++committed_;
  }

  uint64_t BackendBytes() const override {
    std::lock_guard lock(mu_);
    return committed_ * page_size();
  }

 private:
  char* const base_;
  const size_t mapped_;
  const bool can_purge_;
  mutable std::mutex mu_;
  uint32_t next_ = 0;           // pages [next_, max_pages) never handed out
  std::vector<uint32_t> free_;  // freed pages, reused last-in first-out
  std::vector<uint8_t> dirty_;  // per page: freed and not purged (must be zeroed on reuse)
  uint64_t committed_ = 0;      // pages handed out or freed-but-dirty: what may hold RSS
};

}  // namespace

MadePageSource MakeArenaPageSource(const PageSourceOptions& o) {
  const size_t want = size_t{o.max_pages} * o.page_size;
  std::string warning;
  if (o.huge_pages) {
    const size_t usable = RoundUp(want, kHugePage);
    char* base = MapAligned(usable, o.page_size, kHugePage,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (21 << MAP_HUGE_SHIFT));
    if (base != nullptr) {
      return {std::make_unique<ArenaPageSource>(o, base, usable, true), "", ""};
    }
    warning = "memory.huge_pages: the kernel refused " + std::to_string(usable >> 20) +
              " MiB of 2 MiB huge pages (mmap MAP_HUGETLB: " + std::strerror(errno) +
              "; vm.nr_hugepages = " + FirstLine("/proc/sys/vm/nr_hugepages") +
              "): using transparent huge pages instead (madvise; mode " +
              FirstLine("/sys/kernel/mm/transparent_hugepage/enabled") + ")";
  }
  const size_t usable = RoundUp(want, kOsPage);
  char* base =
      MapAligned(usable, o.page_size, kOsPage, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
  if (base == nullptr) {
    return {nullptr,
            "memory.allocator arena: cannot reserve " + std::to_string(want) +
                " bytes of address space: " + std::strerror(errno),
            ""};
  }
  if (madvise(base, usable, MADV_HUGEPAGE) != 0 && o.huge_pages) {
    warning +=
        std::string(", and MADV_HUGEPAGE failed (") + std::strerror(errno) + "): using 4 KiB pages";
  }
  return {std::make_unique<ArenaPageSource>(o, base, usable, false), "", warning};
}

}  // namespace kmd::memory::detail
