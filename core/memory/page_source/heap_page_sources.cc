// The heap backends: pages from a general-purpose allocator, each called through its own entry
// points (allocator_libs.h) so that the library named is the library used. Each asks for a page
// aligned to its size, zeroed (jemalloc MALLOCX_ZERO and mimalloc mi_zalloc_aligned skip work on
// fresh memory; glibc has no aligned calloc, so its pages are memset and committed at once).
// jemalloc pages come from an arena of their own (arenas.create), bypassing the thread cache, so
// that Purge and the figures concern the pages alone.
// Thread-safety: the libraries are thread-safe; the sources keep no state of their own.
#include <bit>
#include <cstring>
#include <string>

#include "core/memory/page_source/allocator_libs.h"
#include "core/memory/page_source/backends.h"

namespace kmd::memory::detail {
namespace {

class SystemPageSource final : public PageSource {
 public:
  SystemPageSource(const PageSourceOptions& o, const GlibcApi* api)
      : PageSource(PageSourceKind::kSystem, o.page_size, o.max_pages), api_(api) {}

 protected:
  void* DoAllocate() override {
    void* p = api_->aligned_alloc_fn(page_size(), page_size());
    if (p != nullptr) std::memset(p, 0, page_size());
    return p;
  }
  void DoFree(void* page) override { api_->free_fn(page); }
  void DoPurge() override { api_->trim_fn(0); }
  uint64_t BackendBytes() const override {
    const struct mallinfo2 info = api_->mallinfo2_fn();
    return info.arena + info.hblkhd;
  }

 private:
  const GlibcApi* api_;
};

// jemalloc's mallocx flags (jemalloc/jemalloc.h; its header is not included because it redeclares
// malloc with other exception specifications than glibc's <stdlib.h>).
constexpr int kMallocxZero = 0x40;
constexpr int kMallocxTcacheNone = (-1 + 2) << 8;
constexpr int MallocxArena(unsigned arena) { return static_cast<int>((arena + 1) << 20); }

class JemallocPageSource final : public PageSource {
 public:
  JemallocPageSource(const PageSourceOptions& o, const JemallocApi* api, unsigned arena)
      : PageSource(PageSourceKind::kJemalloc, o.page_size, o.max_pages),
        api_(api),
        flags_(std::countr_zero(o.page_size) | kMallocxZero | kMallocxTcacheNone |
               MallocxArena(arena)),
        arena_prefix_("arena." + std::to_string(arena) + "."),
        mapped_stat_("stats.arenas." + std::to_string(arena) + ".mapped") {}
  ~JemallocPageSource() override {
    // Every page is back (the owner frees them first): the arena can go with its memory.
    api_->mallctl_fn((arena_prefix_ + "destroy").c_str(), nullptr, nullptr, nullptr, 0);
  }

 protected:
  void* DoAllocate() override { return api_->mallocx_fn(page_size(), flags_); }
  void DoFree(void* page) override { api_->dallocx_fn(page, kMallocxTcacheNone); }
  void DoPurge() override {
    api_->mallctl_fn((arena_prefix_ + "purge").c_str(), nullptr, nullptr, nullptr, 0);
  }
  uint64_t BackendBytes() const override { return api_->Stat(mapped_stat_.c_str()); }

 private:
  const JemallocApi* api_;
  const int flags_;
  const std::string arena_prefix_;
  const std::string mapped_stat_;
};

class MimallocPageSource final : public PageSource {
 public:
  MimallocPageSource(const PageSourceOptions& o, const MimallocApi* api)
      : PageSource(PageSourceKind::kMimalloc, o.page_size, o.max_pages), api_(api) {}

 protected:
  void* DoAllocate() override { return api_->zalloc_aligned_fn(page_size(), page_size()); }
  void DoFree(void* page) override { api_->free_fn(page); }
  void DoPurge() override { api_->collect_fn(true); }
  uint64_t BackendBytes() const override {
    size_t elapsed, user, sys, rss, peak_rss, commit, peak_commit, faults;
    api_->process_info_fn(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
    return commit;
  }

 private:
  const MimallocApi* api_;
};

std::string LibraryError(std::string_view backend, const std::string& why) {
  return "memory.allocator " + std::string(backend) + ": " + why;
}

}  // namespace

MadePageSource MakeSystemPageSource(const PageSourceOptions& o) {
  std::string error;
  const GlibcApi* api = LoadGlibc(&error);
  if (api == nullptr) return {nullptr, LibraryError("system", error), ""};
  return {std::make_unique<SystemPageSource>(o, api), "", ""};
}

MadePageSource MakeJemallocPageSource(const PageSourceOptions& o) {
  std::string error;
  const JemallocApi* api = LoadJemalloc(&error);
  if (api == nullptr) return {nullptr, LibraryError("jemalloc", error), ""};
  unsigned arena = 0;
  size_t len = sizeof(arena);
  if (api->mallctl_fn("arenas.create", &arena, &len, nullptr, 0) != 0) {
    return {nullptr, LibraryError("jemalloc", "mallctl arenas.create failed"), ""};
  }
  return {std::make_unique<JemallocPageSource>(o, api, arena), "", ""};
}

MadePageSource MakeMimallocPageSource(const PageSourceOptions& o) {
  std::string error;
  const MimallocApi* api = LoadMimalloc(&error);
  if (api == nullptr) return {nullptr, LibraryError("mimalloc", error), ""};
  return {std::make_unique<MimallocPageSource>(o, api), "", ""};
}

}  // namespace kmd::memory::detail
