// SlabAllocator parking (RSS control): a drained page released to the OS leaves circulation, the
// target caps the pages in circulation, and a later claim reuses the parked page zeroed.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "core/memory/slab_allocator.h"

namespace kmd::memory {
namespace {

constexpr size_t kPage = 1u << 20;

// Every chunk of `pages` whole pages of class `cls`, written with a non-zero byte.
std::vector<Ref> FillPages(SlabAllocator& a, int cls, int pages) {
  std::vector<Ref> refs;
  const uint32_t n = a.classes().chunks_per_page(cls) * pages;
  for (uint32_t i = 0; i < n; ++i) {
    const Ref r = a.Alloc(cls);
    REQUIRE(r != kNullRef);
    std::memset(a.Resolve(r), 0x7E, a.classes().chunk_size(cls));
    refs.push_back(r);
  }
  return refs;
}

TEST_CASE("parking: a released page leaves circulation, its memory goes, a claim reuses it") {
  SlabAllocator a(4 * kPage, kPage);
  const int cls = a.classes().ClassFor(1000);
  std::vector<Ref> refs = FillPages(a, cls, 4);
  CHECK(a.pages_used() == 4);
  CHECK(a.Alloc(cls) == kNullRef);  // the hard budget is spent
  const uint32_t page = refs.front() >> 16;
  a.SetTargetPages(3);
  CHECK(a.target_pages() == 3);
  // A page with chunks out cannot be parked.
  REQUIRE(a.BeginDrain(page, cls));
  CHECK_FALSE(a.ReleaseDrained(page));
  for (Ref r : refs) {
    if ((r >> 16) == page) a.Free(r);
  }
  REQUIRE(a.ReleaseDrained(page));
  CHECK(a.pages_live() == 3);
  CHECK(a.pages_parked() == 1);
  CHECK(a.pages_released() == 1);
  CHECK(a.Counters(cls).pages == 3);
  CHECK(a.page_source().Stats().decommits == 1);
  // The arena counts what may hold RSS: the parked page no longer does.
  CHECK(a.page_source().Stats().backend_bytes == 3 * kPage);
  for (const PageSnapshot& s : a.Pages(cls)) CHECK(s.page != page);
  CHECK_FALSE(a.BeginDrain(page, cls));  // no class owns it now
  // The target holds: at 3 live pages no page is claimed, not even the parked one.
  const int other = a.classes().ClassFor(100);
  CHECK(a.Alloc(other) == kNullRef);
  // Raised again: the parked page comes back first (no new page), zeroed, to the new class.
  a.SetTargetPages(4);
  const Ref r = a.Alloc(other);
  REQUIRE(r != kNullRef);
  CHECK((r >> 16) == page);
  CHECK(a.pages_used() == 4);
  CHECK(a.pages_parked() == 0);
  CHECK(a.ClassOf(r) == other);
  const auto* bytes = static_cast<const unsigned char*>(a.Resolve(r));
  bool zero = true;
  for (uint32_t i = 4; i < a.classes().chunk_size(other); ++i) zero = zero && bytes[i] == 0;
  CHECK(zero);
  CHECK(a.page_source().Stats().backend_bytes == 4 * kPage);
  // The target is clamped to [1, budget].
  a.SetTargetPages(0);
  CHECK(a.target_pages() == 1);
  a.SetTargetPages(99);
  CHECK(a.target_pages() == 4);
}

}  // namespace
}  // namespace kmd::memory
