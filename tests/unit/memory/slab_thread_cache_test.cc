// SlabAllocator's per-thread bins: counters see cached chunks as free, a drain gets chunks back
// from other threads' bins, an exiting thread gives its chunks back, an allocator destroyed
// before a thread that used it leaves that thread working, and concurrent alloc/free with page
// moves never hands one chunk to two owners.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "core/memory/slab_allocator.h"

namespace kmd::memory {
namespace {

constexpr size_t kPage = 64 * 1024;

uint64_t UsedChunks(const SlabAllocator& a, int cls) { return a.Counters(cls).used_chunks; }

TEST_CASE("thread bins: cached chunks count as free; large classes bypass the bins") {
  SlabAllocator a(1u << 20, kPage);
  const int cls = a.classes().ClassFor(144);
  REQUIRE(a.bin_capacity(cls) >= 2);
  CHECK(a.bin_capacity(a.classes().largest()) == 0);  // 32 KiB chunks: not cached
  std::vector<Ref> refs;
  for (int i = 0; i < 100; ++i) refs.push_back(a.Alloc(cls));
  CHECK(UsedChunks(a, cls) == 100);
  for (Ref r : refs) a.Free(r);
  CHECK(UsedChunks(a, cls) == 0);
  CHECK(a.CachedChunks(cls) > 0);
  CHECK(a.CachedChunks(cls) <= a.bin_capacity(cls));
  CHECK(a.HasFree(cls));
  // The most recently freed chunk comes back first (a warm cache line).
  const Ref last = refs.back();
  CHECK(a.Alloc(cls) == last);
  a.Free(last);
  a.FlushThreadCache();
  CHECK(a.CachedChunks(cls) == 0);
  CHECK(UsedChunks(a, cls) == 0);
}

TEST_CASE("thread bins: a drain gets a chunk back from another thread's bin") {
  SlabAllocator a(1u << 20, kPage);
  const int cls = a.classes().ClassFor(200);
  const int to = a.classes().ClassFor(1000);
  std::atomic<int> step{0};
  std::thread other([&] {
    std::vector<Ref> refs;
    for (int i = 0; i < 8; ++i) refs.push_back(a.Alloc(cls));
    for (Ref r : refs) a.Free(r);  // all eight (and the refill's spares) stay in this bin
    step = 1;
    while (step.load() != 2) std::this_thread::yield();
    a.Free(a.Alloc(cls));  // any later use returns chunks of the draining page first
    step = 3;
    while (step.load() != 4) std::this_thread::yield();
  });
  while (step.load() != 1) std::this_thread::yield();
  const std::vector<PageSnapshot> pages = a.Pages(cls);
  REQUIRE(pages.size() == 1);
  const uint64_t cached = a.CachedChunks(cls);
  CHECK(cached >= 8);
  CHECK(UsedChunks(a, cls) == 0);
  REQUIRE(a.BeginDrain(pages[0].page, cls));
  CHECK(a.PageUsed(pages[0].page) == cached);  // all held by the other thread's bin
  CHECK_FALSE(a.FinishDrain(pages[0].page, to));
  step = 2;
  while (step.load() != 3) std::this_thread::yield();
  CHECK(a.PageUsed(pages[0].page) == 0);
  CHECK(a.FinishDrain(pages[0].page, to));
  CHECK(a.Counters(to).pages == 1);
  step = 4;
  other.join();
}

TEST_CASE("thread bins: an exiting thread gives its chunks back") {
  SlabAllocator a(1u << 20, kPage);
  const int cls = a.classes().ClassFor(100);
  std::thread([&] {
    std::vector<Ref> refs;
    for (int i = 0; i < 50; ++i) refs.push_back(a.Alloc(cls));
    for (Ref r : refs) a.Free(r);
  }).join();
  CHECK(a.CachedChunks(cls) == 0);
  for (const PageSnapshot& p : a.Pages(cls)) CHECK(p.used == 0);
}

TEST_CASE("thread bins: a thread outlives an allocator it used, then uses a new one") {
  std::atomic<int> step{0};
  std::unique_ptr<SlabAllocator> first = std::make_unique<SlabAllocator>(1u << 20, kPage);
  std::unique_ptr<SlabAllocator> second;
  const int cls = first->classes().ClassFor(100);
  std::thread worker([&] {
    first->Free(first->Alloc(cls));  // a bin for `first` on this thread
    step = 1;
    while (step.load() != 2) std::this_thread::yield();
    // `first` is gone; `second` may even sit at the same address: its bins must be new.
    const Ref r = second->Alloc(cls);
    std::memset(second->Resolve(r), 0x5a, second->classes().chunk_size(cls));
    second->Free(r);
    step = 3;
  });
  while (step.load() != 1) std::this_thread::yield();
  first.reset();
  second = std::make_unique<SlabAllocator>(1u << 20, kPage);
  step = 2;
  worker.join();  // the exit path must not touch the destroyed allocator (ASan checks)
  CHECK(step.load() == 3);
  CHECK(second->CachedChunks(cls) == 0);
  CHECK(UsedChunks(*second, cls) == 0);
}

TEST_CASE("thread bins: concurrent alloc/free and page moves never share a chunk") {
  SlabAllocator a(2u << 20, kPage);
  const int small = a.classes().ClassFor(120);
  const int big = a.classes().ClassFor(1500);
  std::atomic<bool> stop{false};
  std::atomic<bool> bad{false};
  auto worker = [&](uint8_t tag) {
    std::vector<Ref> held;
    uint32_t x = tag;
    for (uint32_t ops = 1; !stop.load(std::memory_order_relaxed); ++ops) {
      // As the daemon's workers do every second: bins go back so that pages can empty.
      if (ops % 256 == 0) a.FlushThreadCache();
      x = x * 1664525u + 1013904223u;
      const int cls = (x >> 28) & 1 ? small : big;
      if (held.size() < 64 && (x >> 24) % 3 != 0) {
        const Ref r = a.Alloc(cls);
        if (r == kNullRef) continue;
        auto* p = static_cast<uint8_t*>(a.Resolve(r));
        const size_t n = a.classes().chunk_size(a.ClassOf(r));
        std::memset(p, tag, n);
        held.push_back(r);
      } else if (!held.empty()) {
        const size_t i = x % held.size();
        const Ref r = held[i];
        const auto* p = static_cast<const uint8_t*>(a.Resolve(r));
        const size_t n = a.classes().chunk_size(a.ClassOf(r));
        for (size_t k = 0; k < n; ++k) {
          if (p[k] != tag) bad = true;
        }
        a.Free(r);
        held[i] = held.back();
        held.pop_back();
      }
    }
    for (Ref r : held) a.Free(r);
  };
  std::thread t1(worker, 0x11), t2(worker, 0x22);
  // Meanwhile move whole free pages between the two classes, as the store's mover does once a
  // page's items are gone; busy pages are abandoned.
  // At least 400 rounds, and on until a page has moved (bounded: a loaded machine may need more).
  int moved = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int round = 0; round < 400 || (moved == 0 && std::chrono::steady_clock::now() < give_up);
       ++round) {
    const int from = round % 2 ? small : big;
    const int to = round % 2 ? big : small;
    for (const PageSnapshot& p : a.Pages(from)) {
      if (p.draining || !a.BeginDrain(p.page, from)) continue;
      bool done = false;
      for (int spin = 0; spin < 50 && !done; ++spin) {
        done = a.FinishDrain(p.page, to);
        if (!done) std::this_thread::yield();
      }
      if (done) {
        ++moved;
        break;
      }
      a.AbortDrain(p.page);
    }
    std::this_thread::yield();
  }
  stop = true;
  t1.join();
  t2.join();
  CHECK_FALSE(bad.load());
  CHECK(moved > 0);
  CHECK(UsedChunks(a, small) == 0);
  CHECK(UsedChunks(a, big) == 0);
}

}  // namespace
}  // namespace kmd::memory
