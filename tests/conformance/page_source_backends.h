// The page-source backends as doctest template types, so that one TEST_CASE_TEMPLATE runs over
// every backend (KMD_PAGE_SOURCES), and a maker that fails the test with the source's own error.
// Header-only; test threads may share nothing through it.
#pragma once

#include <doctest/doctest.h>

#include <memory>

#include "core/memory/page_source/page_source.h"

namespace kmd::test {

template <memory::PageSourceKind K>
struct Backend {
  static constexpr memory::PageSourceKind kKind = K;
};
using ArenaBackend = Backend<memory::PageSourceKind::kArena>;
using SystemBackend = Backend<memory::PageSourceKind::kSystem>;
using JemallocBackend = Backend<memory::PageSourceKind::kJemalloc>;
using MimallocBackend = Backend<memory::PageSourceKind::kMimalloc>;
#define KMD_PAGE_SOURCES                                                         \
  kmd::test::ArenaBackend, kmd::test::SystemBackend, kmd::test::JemallocBackend, \
      kmd::test::MimallocBackend

template <typename B>
std::unique_ptr<memory::PageSource> MakeSource(size_t page_size, uint32_t max_pages) {
  memory::PageSourceOptions o;
  o.kind = B::kKind;
  o.page_size = page_size;
  o.max_pages = max_pages;
  memory::MadePageSource made = memory::MakePageSource(o);
  INFO("backend ", memory::PageSourceName(B::kKind), ": ", made.error);
  REQUIRE(made.source != nullptr);
  CHECK(made.warning.empty());
  CHECK(made.source->kind() == B::kKind);
  return std::move(made.source);
}

}  // namespace kmd::test
