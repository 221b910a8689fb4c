// The page-source conformance suite: every backend (arena, system, jemalloc, mimalloc) passes the
// same tests: alignment, distinct non-overlapping zeroed pages, whole-page write/read, free and
// reuse (zeroed again), the max_pages cap, the counters (allocations, frees, bytes, peak, purges),
// 4 threads allocating and freeing at once, and Decommit (RSS control) of a page that stays out.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/conformance/page_source_backends.h"

namespace kmd::test {
namespace {

bool AllBytes(const void* p, size_t n, unsigned char value) {
  const auto* b = static_cast<const unsigned char*>(p);
  return std::all_of(b, b + n, [value](unsigned char c) { return c == value; });
}

void FillPattern(void* p, size_t n, uint64_t seed) {
  auto* w = static_cast<uint64_t*>(p);
  for (size_t i = 0; i < n / 8; ++i) w[i] = seed * 0x9E3779B97F4A7C15ull + i;
}

bool HasPattern(const void* p, size_t n, uint64_t seed) {
  const auto* w = static_cast<const uint64_t*>(p);
  for (size_t i = 0; i < n / 8; ++i) {
    if (w[i] != seed * 0x9E3779B97F4A7C15ull + i) return false;
  }
  return true;
}

// `n` pages from `source`, each checked to be zeroed and aligned to the page size.
std::vector<char*> AllocateZeroed(memory::PageSource& source, int n) {
  std::vector<char*> pages;
  for (int i = 0; i < n; ++i) {
    auto* p = static_cast<char*>(source.Allocate());
    REQUIRE(p != nullptr);
    CHECK(reinterpret_cast<uintptr_t>(p) % source.page_size() == 0);
    CHECK(AllBytes(p, source.page_size(), 0));
    pages.push_back(p);
  }
  return pages;
}

TEST_CASE_TEMPLATE("page source: pages are aligned, distinct, non-overlapping and zeroed", B,
                   KMD_PAGE_SOURCES) {
  for (size_t page_size : {size_t{4096}, size_t{64} << 10, size_t{1} << 20}) {
    CAPTURE(page_size);
    auto source = MakeSource<B>(page_size, 16);
    CHECK(source->page_size() == page_size);
    std::vector<char*> pages = AllocateZeroed(*source, 16);
    std::sort(pages.begin(), pages.end());
    for (size_t i = 1; i < pages.size(); ++i) CHECK(pages[i - 1] + page_size <= pages[i]);
    for (char* p : pages) source->Free(p);
  }
}

TEST_CASE_TEMPLATE("page source: every byte of every page holds what was written", B,
                   KMD_PAGE_SOURCES) {
  constexpr size_t kPage = 1u << 20;
  auto source = MakeSource<B>(kPage, 8);
  std::vector<void*> pages;
  for (int i = 0; i < 8; ++i) {
    pages.push_back(source->Allocate());
    REQUIRE(pages.back() != nullptr);
    FillPattern(pages.back(), kPage, i);
  }
  for (int i = 0; i < 8; ++i) CHECK(HasPattern(pages[i], kPage, i));
  for (void* p : pages) source->Free(p);
}

TEST_CASE_TEMPLATE("page source: a freed page is reused and comes back zeroed", B,
                   KMD_PAGE_SOURCES) {
  constexpr size_t kPage = 64u << 10;
  auto source = MakeSource<B>(kPage, 4);
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    for (char* p : AllocateZeroed(*source, 4)) {
      std::memset(p, 0xA5, kPage);
      source->Free(p);
    }
    if (round == 1) source->Purge();
  }
}

TEST_CASE_TEMPLATE("page source: at most max_pages are out at once", B, KMD_PAGE_SOURCES) {
  auto source = MakeSource<B>(4096, 3);
  void* a = source->Allocate();
  void* b = source->Allocate();
  void* c = source->Allocate();
  REQUIRE((a && b && c));
  CHECK(source->Allocate() == nullptr);
  source->Free(b);
  void* d = source->Allocate();
  CHECK(d != nullptr);
  CHECK(source->Allocate() == nullptr);
  for (void* p : {a, c, d}) source->Free(p);
}

TEST_CASE_TEMPLATE("page source: counts allocations, frees, bytes, peak and purges", B,
                   KMD_PAGE_SOURCES) {
  constexpr size_t kPage = 1u << 20;
  auto source = MakeSource<B>(kPage, 8);
  memory::PageSourceStats s = source->Stats();
  CHECK(s.allocations == 0);
  CHECK(s.bytes == 0);
  CHECK(s.peak_bytes == 0);
  CHECK(s.purges == 0);
  std::vector<void*> pages;
  for (int i = 0; i < 5; ++i) pages.push_back(source->Allocate());
  for (void* p : pages) std::memset(p, 1, kPage);  // commit them: backend_bytes must see them
  s = source->Stats();
  CHECK(s.allocations == 5);
  CHECK(s.bytes == 5 * kPage);
  CHECK(s.peak_bytes == 5 * kPage);
  CHECK(s.backend_bytes >= 5 * kPage);
  for (int i = 0; i < 3; ++i) source->Free(pages[i]);
  source->Purge();
  source->Purge();
  s = source->Stats();
  CHECK(s.frees == 3);
  CHECK(s.bytes == 2 * kPage);
  CHECK(s.peak_bytes == 5 * kPage);  // the peak stays
  CHECK(s.purges == 2);
  pages[0] = source->Allocate();
  s = source->Stats();
  CHECK(s.allocations == 6);
  CHECK(s.bytes == 3 * kPage);
  CHECK(s.peak_bytes == 5 * kPage);
  // The same figures as metrics, labelled with the backend.
  struct Collect : base::CounterVisitor {
    std::map<std::string, double> seen;
    std::string label;
    void Visit(std::string_view name, base::MetricKind, double value, std::string_view,
               const base::MetricLabel* labels, int count) override {
      seen[std::string(name)] = value;
      if (count == 1) label = std::string(labels[0].name) + "=" + std::string(labels[0].value);
    }
  } v;
  source->VisitCounters(v);
  CHECK(v.seen["page_source_allocations_total"] == 6);
  CHECK(v.seen["page_source_frees_total"] == 3);
  CHECK(v.seen["page_source_bytes"] == 3 * kPage);
  CHECK(v.seen["page_source_peak_bytes"] == 5 * kPage);
  CHECK(v.seen["page_source_purges_total"] == 2);
  CHECK(v.label == "allocator=" + std::string(source->name()));
  source->Free(pages[0]);
  source->Free(pages[3]);
  source->Free(pages[4]);
  CHECK(source->Stats().bytes == 0);
}

TEST_CASE_TEMPLATE("page source: 4 threads allocate, write, check and free at once", B,
                   KMD_PAGE_SOURCES) {
  constexpr size_t kPage = 64u << 10;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 8;
  constexpr int kRounds = 50;
  auto source = MakeSource<B>(kPage, kThreads * kPerThread);
  std::atomic<int> bad{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<void*> mine;
      for (int round = 0; round < kRounds; ++round) {
        for (int i = 0; i < kPerThread; ++i) {
          void* p = source->Allocate();
          if (p == nullptr) {
            ++refused;
            continue;
          }
          if (!AllBytes(p, kPage, 0)) ++bad;
          FillPattern(p, kPage, t * 1000 + mine.size());
          mine.push_back(p);
        }
        for (size_t i = 0; i < mine.size(); ++i) {
          if (!HasPattern(mine[i], kPage, t * 1000 + i)) ++bad;
          source->Free(mine[i]);
        }
        mine.clear();
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(bad.load() == 0);
  // The cap is exactly what the threads need together: nobody is ever refused.
  CHECK(refused.load() == 0);
  const memory::PageSourceStats s = source->Stats();
  CHECK(s.allocations == uint64_t{kThreads} * kPerThread * kRounds);
  CHECK(s.frees == s.allocations);
  CHECK(s.bytes == 0);
  CHECK(s.peak_bytes <= uint64_t{kThreads} * kPerThread * kPage);
}

// Pages of `p` resident in RAM now (mincore), of `n` bytes.
size_t ResidentOsPages(const void* p, size_t n) {
  const size_t os_page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> vec((n + os_page - 1) / os_page);
  REQUIRE(mincore(const_cast<void*>(p), n, vec.data()) == 0);
  return static_cast<size_t>(
      std::count_if(vec.begin(), vec.end(), [](unsigned char c) { return (c & 1) != 0; }));
}

TEST_CASE_TEMPLATE("page source: Decommit gives a kept page's memory back; it reads zero after", B,
                   KMD_PAGE_SOURCES) {
  constexpr size_t kPage = 1u << 20;
  auto source = MakeSource<B>(kPage, 4);
  auto* p = static_cast<char*>(source->Allocate());
  REQUIRE(p != nullptr);
  FillPattern(p, kPage, 7);
  CHECK(ResidentOsPages(p, kPage) * static_cast<size_t>(sysconf(_SC_PAGESIZE)) == kPage);
  REQUIRE(source->Decommit(p));
  CHECK(ResidentOsPages(p, kPage) == 0);
  CHECK(source->Stats().decommits == 1);
  CHECK(source->Stats().bytes == kPage);  // still out: the caller keeps the page
  source->Recommit(p);
  CHECK(AllBytes(p, kPage, 0));
  FillPattern(p, kPage, 8);
  CHECK(HasPattern(p, kPage, 8));
  source->Free(p);
  // A page smaller than the OS page cannot be decommitted alone: refused, nothing done.
  auto small = MakeSource<B>(1024, 4);
  auto* q = static_cast<char*>(small->Allocate());
  REQUIRE(q != nullptr);
  std::memset(q, 0x5A, 1024);
  CHECK_FALSE(small->Decommit(q));
  CHECK(AllBytes(q, 1024, 0x5A));
  CHECK(small->Stats().decommits == 0);
  small->Free(q);
}

}  // namespace
}  // namespace kmd::test
