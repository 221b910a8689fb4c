// The store's effective item budget (RSS control): lowering it releases whole pages (their
// memory back to the OS) in bounded steps, what stays is intact and within the new budget, and
// raising it lets the store grow back to -m, parked pages first. Each under LRU and CLOCK.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/cache/store.h"
#include "tests/unit/cache/policy_param.h"
#include "tests/unit/cache/test_args.h"

// LRU (items with list links) and CLOCK (no links: its hand walks slab memory).
#define KMD_BUDGET_POLICIES \
  testing::PolicyParam<policy::PolicyKind::kLru>, testing::PolicyParam<policy::PolicyKind::kClock>

namespace kmd::cache {
namespace {

using namespace testing;  // NOLINT: test builders

constexpr size_t kMiB = 1u << 20;

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "budget:%09d", i);
  return buf;
}

// A value that names its key, so that a hit can be checked against the key it came from.
std::string ValueFor(int i) {
  std::string v = std::string("value-of-").append(std::to_string(i)).append(":");
  v.resize(1000, static_cast<char>('a' + i % 26));
  return v;
}

StoreConfig Config32(policy::PolicyKind kind) {
  StoreConfig cfg;
  cfg.memory_limit = 32 * kMiB;
  cfg.policy = kind;
  cfg.crawler_interval_ms = 0;
  return cfg;
}

// Every key in [0, n): a hit must hold its own value. Returns the hits.
int CheckConsistent(Store& store, int n) {
  int hits = 0;
  for (int i = 0; i < n; ++i) {
    GetResult r = store.Get(G(Key(i)));
    if (r.status != OpStatus::kOk) continue;
    ++hits;
    std::string got(r.ref.value_size(), '\0');
    r.ref.CopyValue(got.data());
    CHECK(got == ValueFor(i));
  }
  return hits;
}

TEST_CASE_TEMPLATE("effective limit: shrink releases pages, keeps items intact and within budget",
                   P, KMD_BUDGET_POLICIES) {
  Store store(Config32(P::kKind));
  int n = 0;
  // Stats() walks every shard and class: look every 64 sets, not after each.
  while (n % 64 != 0 || store.Stats().evictions == 0) {
    REQUIRE(store.Set(S(Key(n), ValueFor(n))).status == OpStatus::kOk);
    ++n;
  }
  const StoreStats full = store.Stats();
  CHECK(full.budget_used() <= 32 * kMiB);
  CHECK(full.memory_limit_effective == 32 * kMiB);
  CHECK(store.effective_limit() == 32 * kMiB);
  const uint64_t pages_before = full.total_pages;

  CHECK(store.SetEffectiveLimit(16 * kMiB) == 16 * kMiB);
  // Bounded steps: one call releases at most what it is asked for.
  CHECK(store.ReleasePages(2) == 2);
  size_t released = 2;
  while (const size_t step = store.ReleasePages(4)) released += step;
  const StoreStats shrunk = store.Stats();
  CHECK(shrunk.budget_used() <= 16 * kMiB);
  CHECK(store.budget_in_use() <= 16 * kMiB);
  CHECK(shrunk.memory_limit_effective == 16 * kMiB);
  CHECK(shrunk.pages_released == released);
  CHECK(shrunk.pages_parked == released);
  CHECK(shrunk.total_pages == pages_before - released);
  CHECK(shrunk.page_source_stats.decommits == released);
  // Only whole pages went: what the remaining pages hold is still there, each item intact.
  const int hits = CheckConsistent(store, n);
  CHECK(static_cast<uint64_t>(hits) == shrunk.curr_items);
  const ClassStats& cls = shrunk.classes.front();
  CHECK(shrunk.curr_items >= (shrunk.total_pages - 1) * cls.chunks_per_page);

  // New writes stay under the lowered budget (they evict instead of claiming pages).
  for (int i = n; i < n + 5000; ++i) {
    REQUIRE(store.Set(S(Key(i), ValueFor(i))).status == OpStatus::kOk);
  }
  n += 5000;
  CHECK(store.Stats().budget_used() <= 16 * kMiB);
  CheckConsistent(store, n);

  // Raised back to -m: the store grows again, parked pages first, never past -m.
  CHECK(store.SetEffectiveLimit(64 * kMiB) == 32 * kMiB);
  for (int i = n; i < n + 40000; ++i) {
    REQUIRE(store.Set(S(Key(i), ValueFor(i))).status == OpStatus::kOk);
  }
  n += 40000;
  const StoreStats grown = store.Stats();
  CHECK(grown.pages_parked == 0);
  CHECK(grown.total_pages == pages_before);
  CHECK(grown.budget_used() <= 32 * kMiB);
  CHECK(grown.budget_used() > 16 * kMiB);
  CheckConsistent(store, n);
}

TEST_CASE_TEMPLATE("effective limit: a page a reader pins is parked once the reader lets go", P,
                   KMD_BUDGET_POLICIES) {
  Store store(Config32(P::kKind));
  for (int i = 0; i < 30000; ++i) store.Set(S(Key(i), ValueFor(i)));
  // Pin one item on every page: readers in the middle of sending values.
  std::vector<std::pair<int, ItemRef>> pins;
  for (int i = 0; i < 30000; i += 100) {
    GetResult r = store.Get(G(Key(i)));
    if (r.status == OpStatus::kOk) pins.emplace_back(i, std::move(r.ref));
  }
  REQUIRE(pins.size() > 100);
  const uint64_t before = store.Stats().total_pages;
  store.SetEffectiveLimit(16 * kMiB);
  // Every page is pinned: nothing can be parked yet, but the pages are drained (items unlinked).
  CHECK(store.ReleasePages(8) == 0);
  CHECK(store.Stats().total_pages == before);
  // The pinned values stay intact for their readers.
  for (const auto& [i, ref] : pins) {
    std::string got(ref.value_size(), '\0');
    ref.CopyValue(got.data());
    CHECK(got == ValueFor(i));
  }
  pins.clear();  // the readers finish
  size_t released = 0;
  for (int tries = 0; tries < 100 && store.budget_in_use() > 16 * kMiB; ++tries) {
    released += store.ReleasePages(8);
  }
  CHECK(released >= 8);
  CHECK(store.Stats().budget_used() <= 16 * kMiB);
  CheckConsistent(store, 30000);
}

TEST_CASE_TEMPLATE("effective limit: a floor of one page above the fixed part, a ceiling of -m", P,
                   KMD_BUDGET_POLICIES) {
  Store store(Config32(P::kKind));
  const size_t floor = store.SetEffectiveLimit(0);
  CHECK(floor > 0);
  CHECK(floor < 32 * kMiB);
  CHECK(store.effective_limit() == floor);
  // At the floor one page is all the store may use, and sets still succeed (they evict).
  for (int i = 0; i < 3000; ++i) {
    REQUIRE(store.Set(S(Key(i), ValueFor(i))).status == OpStatus::kOk);
  }
  CHECK(store.Stats().total_pages == 1);
  CHECK(CheckConsistent(store, 3000) > 0);
}

TEST_CASE_TEMPLATE("effective limit: pages are released while other threads read and write", P,
                   KMD_BUDGET_POLICIES) {
  Store store(Config32(P::kKind));
  for (int i = 0; i < 30000; ++i) store.Set(S(Key(i), ValueFor(i)));
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::thread worker([&] {
    for (int round = 0; !stop.load(); ++round) {
      const int i = (round * 7919) % 30000;
      if (round % 3 == 0) {
        store.Set(S(Key(i), ValueFor(i)));
        continue;
      }
      GetResult r = store.Get(G(Key(i)));
      if (r.status != OpStatus::kOk) continue;
      std::string got(r.ref.value_size(), '\0');
      r.ref.CopyValue(got.data());
      if (got != ValueFor(i)) ++wrong;
    }
  });
  for (size_t limit : {24 * kMiB, 12 * kMiB, 8 * kMiB}) {
    store.SetEffectiveLimit(limit);
    // A page the worker pins or holds chunks of in its thread bins is parked by a later call,
    // once the worker runs again (it may not get a CPU for a while on a loaded machine): retry
    // for up to 10 s, as the RSS controller does every tick.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (store.budget_in_use() > limit && std::chrono::steady_clock::now() < deadline) {
      if (store.ReleasePages(4) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    CHECK(store.budget_in_use() <= limit);
  }
  stop = true;
  worker.join();
  CHECK(wrong.load() == 0);
  CHECK(store.Stats().budget_used() <= 8 * kMiB);
  CheckConsistent(store, 30000);
}

}  // namespace
}  // namespace kmd::cache
