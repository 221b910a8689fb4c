// SlabClasses table shape and SlabAllocator budget, refs and free-list reuse.
#include "core/memory/slab_allocator.h"

#include <doctest/doctest.h>

#include <cstring>
#include <set>
#include <thread>
#include <vector>

namespace kmd::memory {
namespace {

TEST_CASE("class table: 8-byte steps to 512, <8% growth after, largest = page/2") {
  SlabClasses c(1u << 20);
  CHECK(c.chunk_size(0) == 32);
  CHECK(c.chunk_size(c.largest()) == (1u << 19));
  for (int i = 1; i < c.count(); ++i) {
    const uint32_t prev = c.chunk_size(i - 1), cur = c.chunk_size(i);
    CHECK(cur > prev);
    CHECK(cur % 8 == 0);
    if (cur <= 512) CHECK(cur - prev == 8);
    if (i < c.largest()) CHECK(cur <= prev * 1.08 + 8);
  }
  CHECK(c.ClassFor(1) == 0);
  CHECK(c.ClassFor(32) == 0);
  CHECK(c.ClassFor(33) == 1);
  CHECK(c.chunk_size(c.ClassFor(142)) == 144);
  CHECK(c.ClassFor(1u << 19) == c.largest());
  CHECK(c.ClassFor((1u << 19) + 1) == -1);
  for (size_t s = 1; s <= (1u << 19); s += 97) {
    const int cls = c.ClassFor(s);
    REQUIRE(cls >= 0);
    CHECK(c.chunk_size(cls) >= s);
    if (cls > 0) CHECK(c.chunk_size(cls - 1) < s);
  }
}

TEST_CASE("allocator: page budget is hard, refs resolve, freed chunks are reused") {
  SlabAllocator a(4u << 20, 1u << 20);
  CHECK(a.page_budget() == 4);
  const int cls = a.classes().ClassFor(1000);
  const uint32_t per_page = a.classes().chunks_per_page(cls);
  std::vector<Ref> refs;
  std::set<void*> ptrs;
  for (;;) {
    Ref r = a.Alloc(cls);
    if (r == kNullRef) break;
    refs.push_back(r);
    void* p = a.Resolve(r);
    CHECK(a.RefOf(p) == r);
    CHECK(a.ClassOf(r) == cls);
    std::memset(p, 0xAB, a.classes().chunk_size(cls));
    ptrs.insert(p);
  }
  CHECK(refs.size() == per_page * 4);
  CHECK(ptrs.size() == refs.size());
  CHECK(a.pages_used() == 4);
  CHECK(a.Alloc(a.classes().ClassFor(64)) == kNullRef);  // no page left for another class
  CHECK(a.Counters(cls).used_chunks == refs.size());
  a.Free(refs[10]);
  CHECK(a.HasFree(cls));
  CHECK(a.Alloc(cls) == refs[10]);
  CHECK(a.Counters(cls).free_chunks == 0);
}

TEST_CASE("allocator: concurrent alloc/free keeps counts") {
  SlabAllocator a(8u << 20, 1u << 20);
  const int cls = a.classes().ClassFor(200);
  auto worker = [&] {
    std::vector<Ref> mine;
    for (int i = 0; i < 20000; ++i) {
      if (i % 3 != 2) {
        Ref r = a.Alloc(cls);
        if (r != kNullRef) mine.push_back(r);
      } else if (!mine.empty()) {
        a.Free(mine.back());
        mine.pop_back();
      }
    }
    for (Ref r : mine) a.Free(r);
  };
  std::thread t1(worker), t2(worker), t3(worker);
  t1.join();
  t2.join();
  t3.join();
  CHECK(a.Counters(cls).used_chunks == 0);
  CHECK(a.pages_used() <= 8);
}

}  // namespace
}  // namespace kmd::memory
