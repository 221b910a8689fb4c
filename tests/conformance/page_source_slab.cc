// The slab allocator over every page source (the shared suite's second half): refs resolve and
// map back (RefOf, ClassOfPtr: arithmetic for the arena, the page hash for the others) for every
// chunk of every page, the page budget holds, a moved page is zeroed for its new class, pages go
// back to the source when the allocator goes, and 4 threads share it.
#include <cstring>
#include <thread>
#include <vector>

#include "core/memory/slab_allocator.h"
#include "tests/conformance/page_source_backends.h"

namespace kmd::test {
namespace {

using memory::kNullRef;
using memory::Ref;
using memory::SlabAllocator;

TEST_CASE_TEMPLATE("slab over a page source: every chunk's pointer maps back to its ref and class",
                   B, KMD_PAGE_SOURCES) {
  constexpr size_t kPage = 64u << 10;
  constexpr uint32_t kPages = 40;
  SlabAllocator a(kPages * kPage, MakeSource<B>(kPage, kPages));
  CHECK(a.page_source().kind() == B::kKind);
  const int classes[] = {a.classes().ClassFor(48), a.classes().ClassFor(700),
                         a.classes().ClassFor(5000), a.classes().largest()};
  std::vector<Ref> refs;
  for (int round = 0; a.pages_used() < kPages; ++round) {
    const int cls = classes[round % 4];
    const Ref r = a.Alloc(cls);
    if (r == kNullRef) break;
    refs.push_back(r);
    char* p = static_cast<char*>(a.Resolve(r));
    std::memset(p + 4, 0x5A, a.classes().chunk_size(cls) - 4);
  }
  CHECK(a.pages_used() == kPages);
  size_t wrong = 0;
  for (Ref r : refs) {
    const char* p = static_cast<const char*>(a.Resolve(r));
    const uint32_t size = a.classes().chunk_size(a.ClassOf(r));
    // Any byte of the chunk names the chunk (the store maps interior item pointers too).
    if (a.RefOf(p) != r || a.RefOf(p + size - 1) != r || a.ClassOfPtr(p) != a.ClassOf(r)) ++wrong;
  }
  CHECK(wrong == 0);
  CHECK(a.page_source().Stats().bytes == kPages * kPage);
  for (Ref r : refs) a.Free(r);
}

// Moved here from tests/unit/memory/rebalance_test.cc so that it runs over every page source.
TEST_CASE_TEMPLATE(
    "slab over a page source: a draining page hands out nothing; emptied, it is zeroed and "
    "reassigned",
    B, KMD_PAGE_SOURCES) {
  SlabAllocator a(2u << 20, MakeSource<B>(1u << 20, 2));
  const int small = a.classes().ClassFor(100);
  const int big = a.classes().ClassFor(3000);
  std::vector<Ref> refs;
  for (Ref r; (r = a.Alloc(small)) != kNullRef;) {
    std::memset(a.Resolve(r), 0x5A, a.classes().chunk_size(small));
    refs.push_back(r);
  }
  REQUIRE(a.pages_used() == 2);
  CHECK(a.Alloc(big) == kNullRef);  // the budget holds
  CHECK(a.page_source().Stats().allocations == 2);
  const uint32_t page = refs.front() >> 16;
  CHECK_FALSE(a.BeginDrain(page, big));  // wrong class
  REQUIRE(a.BeginDrain(page, small));
  CHECK_FALSE(a.BeginDrain(page, small));  // already draining
  // Free one chunk of each page: only the other page's chunk may come back.
  Ref other = kNullRef;
  for (Ref r : refs) {
    if ((r >> 16) != page) other = r;
  }
  a.Free(refs.front());
  a.Free(other);
  CHECK(a.Alloc(small) == other);
  CHECK(a.Alloc(small) == kNullRef);
  CHECK_FALSE(a.FinishDrain(page, big));  // chunks still handed out
  for (Ref r : refs) {
    if ((r >> 16) == page && r != refs.front()) a.Free(r);
  }
  CHECK(a.PageUsed(page) == 0);
  REQUIRE(a.FinishDrain(page, big));
  CHECK(a.pages_moved() == 1);
  CHECK(a.pages_used() == 2);
  CHECK(a.Counters(small).pages == 1);
  CHECK(a.Counters(big).pages == 1);
  const Ref b = a.Alloc(big);
  REQUIRE(b != kNullRef);
  CHECK((b >> 16) == page);
  CHECK(a.ClassOf(b) == big);
  const char* bytes = static_cast<const char*>(a.Resolve(b));
  bool zero = true;
  for (uint32_t i = 0; i < a.classes().chunk_size(big); ++i) zero = zero && bytes[i] == 0;
  CHECK(zero);
  CHECK(a.RefOf(bytes) == b);
  CHECK(a.page_source().Stats().allocations == 2);  // a move takes no page from the source
}

TEST_CASE_TEMPLATE("slab over a page source: 4 threads allocate and free chunks", B,
                   KMD_PAGE_SOURCES) {
  constexpr size_t kPage = 64u << 10;
  SlabAllocator a(64 * kPage, MakeSource<B>(kPage, 64));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const int cls = a.classes().ClassFor(64 + 200 * t);
      std::vector<Ref> mine;
      for (int round = 0; round < 200; ++round) {
        for (int i = 0; i < 64; ++i) {
          const Ref r = a.Alloc(cls);
          if (r == kNullRef) continue;
          auto* p = static_cast<uint32_t*>(a.Resolve(r));
          p[1] = static_cast<uint32_t>(t);
          mine.push_back(r);
        }
        for (Ref r : mine) {
          const auto* p = static_cast<const uint32_t*>(a.Resolve(r));
          if (p[1] != static_cast<uint32_t>(t) || a.RefOf(p) != r) ++wrong;
          a.Free(r);
        }
        mine.clear();
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong.load() == 0);
}

TEST_CASE_TEMPLATE("slab over a page source: pages go back when the allocator goes", B,
                   KMD_PAGE_SOURCES) {
  constexpr size_t kPage = 64u << 10;
  auto owned = MakeSource<B>(kPage, 8);
  memory::PageSource* source = owned.get();
  auto a = std::make_unique<SlabAllocator>(8 * kPage, std::move(owned));
  const int cls = a->classes().ClassFor(1000);
  while (a->Alloc(cls) != kNullRef) {
  }
  CHECK(source->Stats().bytes == 8 * kPage);
  // Frees every page to the source, then destroys the source: no leak report, no crash.
  a.reset();
}

}  // namespace
}  // namespace kmd::test
