// Expiry crawler: CrawlExpired() unlinks expired, unpinned items (ManualClock, no thread, so the
// results are exact); memcached's t/issue_14.t at the store level; one real-thread test. Each
// under a list policy and under CLOCK (whose crawler walks the index instead of the lists).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "core/cache/store.h"
#include "tests/support/manual_clock.h"
#include "tests/unit/cache/policy_param.h"
#include "tests/unit/cache/test_args.h"

namespace kmd::cache {
namespace {

using namespace testing;  // NOLINT: test builders

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key:%012d", i);
  return buf;
}

StoreConfig ManualConfig(const base::Clock* clock, policy::PolicyKind kind) {
  StoreConfig cfg;
  cfg.policy = kind;
  cfg.clock = clock;
  cfg.crawler_interval_ms = 0;  // the test drives CrawlExpired itself
  return cfg;
}

bool Hit(Store& store, const std::string& key) {
  GetArgs g = G(key);
  g.want_ref = false;
  g.bump = false;
  return store.Get(g).status == OpStatus::kOk;
}

TEST_CASE_TEMPLATE("CrawlExpired reclaims expired items and leaves items without a TTL alone", P,
                   KMD_STORE_LAYOUTS) {
  test::ManualClock clock;
  Store store(ManualConfig(&clock, P::kKind));
  for (int i = 0; i < 100; ++i)
    REQUIRE(store.Set(S(Key(i), "short", 0, 10)).status == OpStatus::kOk);
  for (int i = 100; i < 200; ++i) REQUIRE(store.Set(S(Key(i), "forever")).status == OpStatus::kOk);
  for (int i = 200; i < 250; ++i)
    REQUIRE(store.Set(S(Key(i), "long", 0, 1000)).status == OpStatus::kOk);
  REQUIRE(store.Get(G(Key(0))).status == OpStatus::kOk);  // fetched: not expired_unfetched

  CHECK(store.CrawlExpired(SIZE_MAX) == 0);  // nothing expired yet
  CHECK(store.Stats().curr_items == 250);

  clock.Advance(11);
  CHECK(store.CrawlExpired(SIZE_MAX) == 100);
  StoreStats st = store.Stats();
  CHECK(st.curr_items == 150);
  CHECK(st.reclaimed == 100);
  CHECK(st.crawler_reclaimed == 100);
  CHECK(st.expired_unfetched == 99);
  CHECK(st.crawler_runs == 2);
  CHECK(st.get_expired == 0);  // the crawler is not a get
  for (int i = 100; i < 250; ++i) CHECK(Hit(store, Key(i)));

  CHECK(store.CrawlExpired(SIZE_MAX) == 0);  // idempotent
  clock.Advance(1000);
  CHECK(store.CrawlExpired(SIZE_MAX) == 50);
  CHECK(store.Stats().curr_items == 100);

  store.ResetStats();
  st = store.Stats();
  CHECK(st.crawler_reclaimed == 0);
  CHECK(st.crawler_runs == 0);
}

TEST_CASE_TEMPLATE("a pinned expired item is not freed while pinned and is reclaimed after release",
                   P, KMD_STORE_LAYOUTS) {
  test::ManualClock clock;
  Store store(ManualConfig(&clock, P::kKind));
  REQUIRE(store.Set(S("pinned", std::string(500, 'p'), 0, 5)).status == OpStatus::kOk);
  REQUIRE(store.Set(S("other", "o", 0, 5)).status == OpStatus::kOk);
  GetResult held = store.Get(G("pinned"));
  REQUIRE(held.ref);
  clock.Advance(6);

  CHECK(store.CrawlExpired(SIZE_MAX) == 1);  // only "other"
  StoreStats st = store.Stats();
  CHECK(st.curr_items == 1);
  CHECK(st.crawler_reclaimed == 1);
  CHECK(Value(held.ref) == std::string(500, 'p'));  // memory still the reader's

  held.ref = ItemRef();
  CHECK(store.CrawlExpired(SIZE_MAX) == 1);
  st = store.Stats();
  CHECK(st.curr_items == 0);
  CHECK(st.bytes == 0);
  CHECK(st.crawler_reclaimed == 2);
}

TEST_CASE_TEMPLATE("touch keeps the per-list TTL count in step", P, KMD_STORE_LAYOUTS) {
  test::ManualClock clock;
  Store store(ManualConfig(&clock, P::kKind));
  REQUIRE(store.Set(S("a", "1", 0, 5)).status == OpStatus::kOk);
  REQUIRE(store.Set(S("b", "2")).status == OpStatus::kOk);
  CHECK(store.Touch("a", 0) == OpStatus::kOk);  // TTL removed
  CHECK(store.Touch("b", 5) == OpStatus::kOk);  // TTL added
  clock.Advance(6);
  CHECK(store.CrawlExpired(SIZE_MAX) == 1);
  CHECK(Hit(store, "a"));
  CHECK_FALSE(Hit(store, "b"));
  CHECK(store.Stats().curr_items == 1);
}

TEST_CASE_TEMPLATE(
    "a list whose earliest TTL is not due is skipped, and a shorter TTL makes it due", P,
    KMD_STORE_LAYOUTS) {
  test::ManualClock clock;
  StoreConfig cfg = ManualConfig(&clock, P::kKind);
  cfg.shards = 1;
  Store store(cfg);
  for (int i = 0; i < 10; ++i) REQUIRE(store.Set(S(Key(i), "v", 0, 1000)).status == OpStatus::kOk);
  CHECK(store.CrawlExpired(SIZE_MAX) == 0);  // walks once, learns nothing is due before +1000
  CHECK(store.Touch(Key(3), 5) == OpStatus::kOk);
  REQUIRE(store.Set(S(Key(4), "v", 0, 7)).status == OpStatus::kOk);
  clock.Advance(6);
  CHECK(store.CrawlExpired(SIZE_MAX) == 1);
  clock.Advance(2);
  CHECK(store.CrawlExpired(SIZE_MAX) == 1);
  CHECK(store.CrawlExpired(SIZE_MAX) == 0);
  clock.Advance(1000);
  CHECK(store.CrawlExpired(SIZE_MAX) == 8);
  CHECK(store.Stats().curr_items == 0);
}

TEST_CASE_TEMPLATE("a long list is walked in slices and the item budget is honoured", P,
                   KMD_STORE_LAYOUTS) {
  test::ManualClock clock;
  StoreConfig cfg = ManualConfig(&clock, P::kKind);
  cfg.shards = 1;  // one list of 3000 items: many slices of 256
  Store store(cfg);
  for (int i = 0; i < 3000; ++i) {
    REQUIRE(store.Set(S(Key(i), "v", 0, i % 3 == 0 ? 0 : 5)).status == OpStatus::kOk);
  }
  clock.Advance(6);
  CHECK(store.CrawlExpired(10) <= 10);  // examines at most 10
  const size_t left = store.Stats().curr_items;
  CHECK(left >= 2990);
  CHECK(store.CrawlExpired(SIZE_MAX) == left - 1000);
  CHECK(store.Stats().curr_items == 1000);
  for (int i = 0; i < 3000; i += 3) CHECK(Hit(store, Key(i)));
}

// memcached t/issue_14.t: with default settings, 10 items of 66,560 bytes with TTL 2, sleep 4 s,
// 10 more: total_malloced must not grow, because the crawler gave the expired items' memory back.
TEST_CASE_TEMPLATE("issue_14: expired memory is reused, the store takes no fresh pages", P,
                   KMD_STORE_LAYOUTS) {
  test::ManualClock clock;
  StoreConfig cfg = ManualConfig(&clock, P::kKind);
  cfg.memory_limit = 64u << 20;
  const std::string value(66560, 'x');
  const auto fill = [&](Store& store, const char* prefix) {
    for (int i = 0; i < 10; ++i) {
      REQUIRE(store.Set(S(prefix + std::to_string(i), value, 0, 2)).status == OpStatus::kOk);
    }
  };

  Store store(cfg);
  fill(store, "a");
  const uint64_t pages = store.Stats().total_pages;
  clock.Advance(4);
  CHECK(store.CrawlExpired(SIZE_MAX) == 10);
  fill(store, "b");
  const StoreStats st = store.Stats();
  CHECK(st.total_pages == pages);
  CHECK(st.curr_items == 10);
  CHECK(st.crawler_reclaimed == 10);

  // Without the crawl the same workload does take fresh pages: the test measures the crawler.
  Store lazy(cfg);
  fill(lazy, "a");
  clock.Advance(4);
  fill(lazy, "b");
  CHECK(lazy.Stats().total_pages > pages);
}

TEST_CASE_TEMPLATE("the crawler thread reclaims with the system clock", P, KMD_STORE_LAYOUTS) {
  StoreConfig cfg;
  cfg.policy = P::kKind;
  cfg.crawler_interval_ms = 50;
  Store store(cfg);
  for (int i = 0; i < 20; ++i) REQUIRE(store.Set(S(Key(i), "v", 0, 1)).status == OpStatus::kOk);
  REQUIRE(store.Set(S("keep", "v")).status == OpStatus::kOk);
  // SystemClock has 1 s resolution: a TTL of 1 s expires within 2 s; allow 3.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (store.Stats().curr_items > 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const StoreStats st = store.Stats();
  CHECK(st.curr_items == 1);
  CHECK(st.crawler_reclaimed == 20);
  CHECK(st.crawler_runs > 0);
  CHECK(Hit(store, "keep"));
}

TEST_CASE_TEMPLATE("crawler passes race workers without breaking the lists", P, KMD_STORE_LAYOUTS) {
  test::ManualClock clock;
  StoreConfig cfg = ManualConfig(&clock, P::kKind);
  cfg.memory_limit = 16u << 20;
  cfg.shards = 4;
  Store store(cfg);
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string key = Key(t * 1000 + i % 1000);
        switch (i % 4) {
          case 0:
            store.Set(S(key, std::string(100 + i % 300, 'v'), 0, i % 2));
            break;
          case 1:
            store.Get(G(key));
            break;
          case 2:
            store.Touch(key, i % 3);
            break;
          default:
            if (i % 16 == 3) store.Delete(D(key));
            break;
        }
      }
    });
  }
  for (int pass = 0; pass < 200; ++pass) {
    if (pass % 10 == 0) clock.Advance(1);
    store.CrawlExpired(SIZE_MAX);
  }
  stop = true;
  for (auto& w : workers) w.join();
  clock.Advance(10);
  store.CrawlExpired(SIZE_MAX);
  // Every TTL item is gone now; what is left has none and the byte figures still add up.
  const StoreStats st = store.Stats();
  CHECK(st.curr_items <= 4000);
  CHECK(st.payload_bytes + st.header_bytes + st.slack_bytes == st.bytes);
  CHECK(store.CrawlExpired(SIZE_MAX) == 0);
}

}  // namespace
}  // namespace kmd::cache
