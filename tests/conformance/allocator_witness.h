// Witnesses that tell which allocator a page really came from, each asking one allocator in its
// own terms: glibc's mallinfo2 (from libc.so.6's own handle) grows by the page, jemalloc's
// stats.allocated grows by it, mimalloc's mi_check_owned claims it, or it lies inside the arena's
// reservation. Shared by the identity test and the LD_PRELOAD probe (probe/). Header-only.
// Thread-safety: single-threaded use (the deltas would see other threads' allocations).
#pragma once

#include <cstddef>
#include <string>

#include "core/memory/page_source/allocator_libs.h"
#include "core/memory/page_source/page_source.h"

namespace kmd::test {

struct Witnesses {
  bool glibc = false;
  bool jemalloc = false;
  bool mimalloc = false;
  bool arena = false;
  std::string Describe() const {
    return std::string("glibc=") + (glibc ? "1" : "0") + " jemalloc=" + (jemalloc ? "1" : "0") +
           " mimalloc=" + (mimalloc ? "1" : "0") + " arena=" + (arena ? "1" : "0");
  }
};

// Allocates one page from `source` and asks every allocator whether it was theirs. A library
// that cannot be loaded witnesses nothing. The page is freed before returning.
inline Witnesses WitnessOnePage(memory::PageSource& source) {
  using namespace memory;
  const GlibcApi* glibc = LoadGlibc(nullptr);
  const JemallocApi* je = LoadJemalloc(nullptr);
  const MimallocApi* mi = LoadMimalloc(nullptr);
  const auto glibc_bytes = [&] {
    const struct mallinfo2 i = glibc->mallinfo2_fn();
    return i.uordblks + i.hblkhd;
  };
  const size_t glibc_before = glibc != nullptr ? glibc_bytes() : 0;
  const size_t je_before = je != nullptr ? je->Stat("stats.allocated") : 0;
  void* page = source.Allocate();
  Witnesses w;
  if (page == nullptr) return w;
  const size_t enough = source.page_size();
  w.glibc = glibc != nullptr && glibc_bytes() >= glibc_before + enough;
  w.jemalloc = je != nullptr && je->Stat("stats.allocated") >= je_before + enough;
  w.mimalloc = mi != nullptr && mi->check_owned_fn(page);
  const auto region = source.contiguous();
  w.arena = !region.empty() && static_cast<char*>(page) >= region.data() &&
            static_cast<char*>(page) + enough <= region.data() + region.size();
  source.Free(page);
  return w;
}

// What WitnessOnePage must say for each backend: exactly its own allocator.
inline Witnesses Expected(memory::PageSourceKind kind) {
  Witnesses w;
  w.glibc = kind == memory::PageSourceKind::kSystem;
  w.jemalloc = kind == memory::PageSourceKind::kJemalloc;
  w.mimalloc = kind == memory::PageSourceKind::kMimalloc;
  w.arena = kind == memory::PageSourceKind::kArena;
  return w;
}

}  // namespace kmd::test
