// PageSource's counters (the one place every backend's figures are kept) and the factory.
// Counters are relaxed atomics: figures for operators, not synchronisation.
#include "core/memory/page_source/page_source.h"

#include <sys/mman.h>
#include <unistd.h>

#include <bit>

#include "core/memory/page_source/backends.h"

namespace kmd::memory {

namespace {
// Indexed by PageSourceKind.
constexpr std::string_view kNames[] = {"arena", "system", "jemalloc", "mimalloc"};
}  // namespace

std::string_view PageSourceName(PageSourceKind kind) { return kNames[static_cast<int>(kind)]; }

std::optional<PageSourceKind> ParsePageSourceKind(std::string_view name) {
  for (PageSourceKind k : kAllPageSources) {
    if (kNames[static_cast<int>(k)] == name) return k;
  }
  return std::nullopt;
}

void* PageSource::Allocate() {
  uint32_t out = out_.load(std::memory_order_relaxed);
  do {
    if (out >= max_pages_) return nullptr;
  } while (!out_.compare_exchange_weak(out, out + 1, std::memory_order_relaxed));
  void* page = DoAllocate();
  if (page == nullptr) {
    out_.fetch_sub(1, std::memory_order_relaxed);
    return nullptr;
  }
  allocations_.fetch_add(1, std::memory_order_relaxed);
  uint64_t peak = peak_pages_.load(std::memory_order_relaxed);
  while (peak < out + 1 &&
         !peak_pages_.compare_exchange_weak(peak, out + 1, std::memory_order_relaxed)) {
  }
  return page;
}

void PageSource::Free(void* page) {
  DoFree(page);
  frees_.fetch_add(1, std::memory_order_relaxed);
  out_.fetch_sub(1, std::memory_order_relaxed);
}

void PageSource::Purge() {
  DoPurge();
  purges_.fetch_add(1, std::memory_order_relaxed);
}

bool PageSource::DoDecommit(void* page) {
  const auto os_page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (page_size_ % os_page != 0) return false;
  return madvise(page, page_size_, MADV_DONTNEED) == 0;
}

bool PageSource::Decommit(void* page) {
  if (!DoDecommit(page)) return false;
  decommits_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void PageSource::Recommit(void* page) { DoRecommit(page); }

PageSourceStats PageSource::Stats() const {
  PageSourceStats s;
  s.allocations = allocations_.load(std::memory_order_relaxed);
  s.frees = frees_.load(std::memory_order_relaxed);
  s.bytes = uint64_t{out_.load(std::memory_order_relaxed)} * page_size_;
  s.peak_bytes = peak_pages_.load(std::memory_order_relaxed) * page_size_;
  s.purges = purges_.load(std::memory_order_relaxed);
  s.decommits = decommits_.load(std::memory_order_relaxed);
  s.backend_bytes = BackendBytes();
  return s;
}

void PageSource::VisitCounters(base::CounterVisitor& visitor) const {
  using base::MetricKind;
  const PageSourceStats s = Stats();
  const base::MetricLabel label{"allocator", name()};
  const auto d = [](uint64_t n) { return static_cast<double>(n); };
  const base::MetricRow rows[] = {
      {"page_source_allocations_total", MetricKind::kCounter, d(s.allocations), "Pages handed out"},
      {"page_source_frees_total", MetricKind::kCounter, d(s.frees), "Pages given back"},
      {"page_source_bytes", MetricKind::kGauge, d(s.bytes), "Bytes of pages out now"},
      {"page_source_peak_bytes", MetricKind::kGauge, d(s.peak_bytes), "Most bytes of pages out"},
      {"page_source_purges_total", MetricKind::kCounter, d(s.purges),
       "Returns of memory to the OS"},
      {"page_source_decommits_total", MetricKind::kCounter, d(s.decommits),
       "Pages kept out whose memory was given back to the OS (RSS control)"},
      {"page_source_backend_bytes", MetricKind::kGauge, d(s.backend_bytes),
       "Bytes the allocator reports holding (for everyone it serves)"},
  };
  base::VisitRows(visitor, rows, &label, 1);
}

MadePageSource MakePageSource(const PageSourceOptions& options) {
  if (!std::has_single_bit(options.page_size) || options.page_size < 1024 ||
      options.page_size > (16u << 20) || options.max_pages == 0) {
    return {nullptr,
            "page source: page size must be a power of two in 1KiB..16MiB and at least "
            "one page allowed",
            ""};
  }
  if (options.huge_pages && options.kind != PageSourceKind::kArena) {
    return {nullptr, "page source: huge pages are an arena option", ""};
  }
  switch (options.kind) {
    case PageSourceKind::kArena:
      return detail::MakeArenaPageSource(options);
    case PageSourceKind::kSystem:
      return detail::MakeSystemPageSource(options);
    case PageSourceKind::kJemalloc:
      return detail::MakeJemallocPageSource(options);
    case PageSourceKind::kMimalloc:
      return detail::MakeMimallocPageSource(options);
  }
  return {nullptr, "page source: unknown kind", ""};
}

}  // namespace kmd::memory
