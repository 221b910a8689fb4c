// Page-move policy (pure functions) and the allocator's drain/reassign mechanism.
#include "core/memory/rebalance.h"

#include <doctest/doctest.h>

#include <vector>

namespace kmd::memory {
namespace {

TEST_CASE("donor: never the receiver or the excluded class; a used class keeps its last page") {
  std::vector<ClassSnapshot> c(5);
  c[0] = {1, 10, 50};  // last page, in use
  c[1] = {3, 100, 5};
  c[2] = {0, 0, -1};   // receiver
  c[3] = {4, 10, 90};  // excluded
  c[4] = {2, 50, 7};
  CHECK(ChooseDonorClass(c, 2, true, 3) == 4);  // oldest eligible
  c[4].tail_age = 3;
  CHECK(ChooseDonorClass(c, 2, true, 3) == 1);
  c[1].pages = 1;
  c[4].pages = 1;
  CHECK(ChooseDonorClass(c, 2, true, 3) == -1);
  c[4].items = 0;  // an empty class gives even its only page, before any other
  CHECK(ChooseDonorClass(c, 2, true, 3) == 4);
}

TEST_CASE("donor under pressure: only a much older class gives a page") {
  std::vector<ClassSnapshot> c(3);
  c[0] = {10, 1000, 10};
  c[1] = {10, 1000, 8};  // receiver
  c[2] = {0, 0, -1};
  CHECK(ChooseDonorClass(c, 1, false, 2) == -1);  // similar ages: no trade
  c[0].tail_age = 16;
  CHECK(ChooseDonorClass(c, 1, false, 2) == 0);
  c[1].tail_age = 0;
  c[0].tail_age = 1;  // 2x older but within the minimum gap
  CHECK(ChooseDonorClass(c, 1, false, 2) == -1);
  CHECK(ChooseDonorClass(c, 1, true, 2) == 0);  // starved: any eligible class
}

TEST_CASE("victim page: fewest chunks in use, skipping draining, skipped and carving pages") {
  std::vector<PageSnapshot> p = {
      {0, 50, false, false}, {1, 5, false, true}, {2, 20, false, false}, {3, 1, true, false}};
  std::vector<uint32_t> skip;
  CHECK(ChooseVictimPage(p, skip) == 2);
  skip.push_back(2);
  CHECK(ChooseVictimPage(p, skip) == 0);
  skip.push_back(0);
  CHECK(ChooseVictimPage(p, skip) == 3);
  skip.push_back(3);
  CHECK(ChooseVictimPage(p, skip) == -1);
}

TEST_CASE("abort: a drained page's free chunks return to its class") {
  SlabAllocator a(1u << 20, 1u << 20);
  const int cls = a.classes().ClassFor(500);
  std::vector<Ref> refs;
  for (Ref r; (r = a.Alloc(cls)) != kNullRef;) refs.push_back(r);
  const uint32_t page = refs[0] >> 16;
  REQUIRE(a.BeginDrain(page, cls));
  for (size_t i = 0; i < refs.size(); i += 2) a.Free(refs[i]);
  CHECK_FALSE(a.HasFree(cls));
  a.AbortDrain(page);
  CHECK(a.HasFree(cls));
  size_t got = 0;
  while (a.Alloc(cls) != kNullRef) ++got;
  CHECK(got == (refs.size() + 1) / 2);
}

TEST_CASE("drain of the page being carved keeps its never-handed-out chunks") {
  SlabAllocator a(1u << 20, 1u << 20);
  const int cls = a.classes().ClassFor(200);
  const Ref r = a.Alloc(cls);
  REQUIRE(a.BeginDrain(r >> 16, cls));
  a.AbortDrain(r >> 16);
  size_t got = 1;
  while (a.Alloc(cls) != kNullRef) ++got;
  CHECK(got == a.classes().chunks_per_page(cls));
}

}  // namespace
}  // namespace kmd::memory
