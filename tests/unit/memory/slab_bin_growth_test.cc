// SlabAllocator's adaptive bin capacity: a bin that thrashes (empties and overflows) grows until
// its working set fits, within its per-bin bound and the per-thread growth budget; a flush gives
// every chunk back and resets the capacity; a drain still gets chunks back from a grown bin, and
// from bins of several classes drained one after another.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/memory/slab_allocator.h"

namespace kmd::memory {
namespace {

constexpr size_t kPage = 64 * 1024;

// `rounds` times: `n` allocations of class `cls`, then `n` frees (a store that fills and evicts).
void Thrash(SlabAllocator& a, int cls, int n, int rounds) {
  std::vector<Ref> refs(static_cast<size_t>(n));
  for (int round = 0; round < rounds; ++round) {
    for (Ref& r : refs) {
      r = a.Alloc(cls);
      REQUIRE(r != kNullRef);
    }
    for (Ref r : refs) a.Free(r);
  }
}

TEST_CASE("bin growth: a thrashing bin grows to hold its working set, a flush resets it") {
  SlabAllocator a(4u << 20, kPage);
  const int cls = a.classes().ClassFor(144);
  const uint32_t init = a.bin_initial_capacity(cls);
  REQUIRE(init >= 2);
  REQUIRE(a.bin_capacity(cls) >= 256);
  for (int c = 0; c < a.classes().count(); ++c) {
    CHECK(uint64_t{a.bin_capacity(c)} * a.classes().chunk_size(c) <=
          SlabAllocator::kBinGrowthBytes);
  }
  Thrash(a, cls, 256, 8);
  // All 256 chunks of the last round went back to the bin: the working set fits.
  CHECK(a.CachedChunks(cls) >= 256);
  CHECK(a.CachedChunks(cls) <= a.bin_capacity(cls));
  CHECK(a.Counters(cls).used_chunks == 0);
  a.FlushThreadCache();
  CHECK(a.CachedChunks(cls) == 0);
  for (const PageSnapshot& p : a.Pages(cls)) CHECK(p.used == 0);
  // Back to the initial capacity: one round can double it at most once.
  Thrash(a, cls, 256, 1);
  CHECK(a.CachedChunks(cls) <= 2 * init);
}

TEST_CASE("bin growth: all of a thread's bins grow by at most kBinGrowthBytes") {
  SlabAllocator a(16u << 20, kPage);
  uint64_t initial_bytes = 0;
  std::vector<int> classes;
  for (size_t size = 64; size <= 2048; size += 192) {
    const int cls = a.classes().ClassFor(size);
    classes.push_back(cls);
    initial_bytes += uint64_t{a.bin_initial_capacity(cls)} * a.classes().chunk_size(cls);
    Thrash(a, cls, 300, 8);
  }
  uint64_t cached_bytes = 0;
  bool grew = false;
  for (int cls : classes) {
    cached_bytes += a.CachedChunks(cls) * a.classes().chunk_size(cls);
    grew = grew || a.CachedChunks(cls) > a.bin_initial_capacity(cls);
  }
  CHECK(grew);
  CHECK(cached_bytes <= initial_bytes + SlabAllocator::kBinGrowthBytes);
  a.FlushThreadCache();
  for (int cls : classes) CHECK(a.Counters(cls).used_chunks == 0);
}

TEST_CASE("bin growth: drains of two classes get chunks back from another thread's grown bins") {
  SlabAllocator a(4u << 20, kPage);
  const int small = a.classes().ClassFor(144);
  const int big = a.classes().ClassFor(600);
  const int to = a.classes().ClassFor(2000);
  std::atomic<int> step{0};
  std::thread other([&] {
    Thrash(a, small, 256, 8);
    Thrash(a, big, 64, 8);
    step = 1;
    while (step.load() != 2) std::this_thread::yield();
    // Two drains began since this thread last used its bins: one sync returns both pages' chunks.
    a.Free(a.Alloc(to));
    step = 3;
    while (step.load() != 4) std::this_thread::yield();
  });
  while (step.load() != 1) std::this_thread::yield();
  CHECK(a.CachedChunks(small) >= 256);
  std::vector<uint32_t> drained;
  for (int cls : {small, big}) {
    // A page whose chunks sit in the other thread's bin (nothing else holds any).
    uint32_t page = 0;
    bool found = false;
    for (const PageSnapshot& p : a.Pages(cls)) {
      if (p.used > 0 && !found) page = p.page, found = true;
    }
    REQUIRE(found);
    REQUIRE(a.BeginDrain(page, cls));
    CHECK(a.PageUsed(page) > 0);
    drained.push_back(page);
  }
  step = 2;
  while (step.load() != 3) std::this_thread::yield();
  for (uint32_t page : drained) {
    CHECK(a.PageUsed(page) == 0);
    CHECK(a.FinishDrain(page, to));
  }
  step = 4;
  other.join();
  CHECK(a.Counters(small).used_chunks == 0);
  CHECK(a.Counters(big).used_chunks == 0);
}

}  // namespace
}  // namespace kmd::memory
