// Memory budget, eviction order, out-of-memory, per-item overhead, concurrency; each under a list
// policy and under CLOCK.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/cache/store.h"
#include "tests/support/manual_clock.h"
#include "tests/unit/cache/policy_param.h"
#include "tests/unit/cache/test_args.h"

// The recency policies: LRU over its lists, and CLOCK over slab memory.
#define KMD_RECENCY_POLICIES \
  testing::PolicyParam<policy::PolicyKind::kLru>, testing::PolicyParam<policy::PolicyKind::kClock>

namespace kmd::cache {
namespace {

using namespace testing;  // NOLINT: test builders

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key:%012d", i);  // 16 bytes
  return buf;
}

// A small store under `kind` on a manual clock.
StoreConfig ManualConfig(policy::PolicyKind kind, const base::Clock* clock, size_t limit,
                         uint32_t shards) {
  StoreConfig cfg;
  cfg.policy = kind;
  cfg.clock = clock;
  cfg.memory_limit = limit;
  cfg.shards = shards;
  return cfg;
}

// Fills a store with 16-byte keys and 100-byte values until it first evicts. `want_cas`: false
// for sets as the text protocol makes them (no CAS field until a client asks for one).
StoreStats FillUntilEviction(Store& store, bool want_cas = true) {
  const std::string value(100, 'v');
  int i = 0;
  while (store.Stats().evictions == 0) {
    for (int j = 0; j < 1000; ++j, ++i) {
      const std::string key = Key(i);  // StoreArgs holds views
      StoreArgs args = S(key, value);
      args.want_cas = want_cas;
      REQUIRE(store.Set(args).status == OpStatus::kOk);
    }
  }
  return store.Stats();
}

TEST_CASE("overhead per item <= 32 bytes for 16-byte keys and 100-byte values") {
  // The item layout alone: LRU keeps nothing beyond the item headers.
  StoreConfig cfg;
  cfg.memory_limit = 64u << 20;
  cfg.policy = policy::PolicyKind::kLru;
  Store store(cfg);
  StoreStats st = FillUntilEviction(store);
  CHECK(st.total_pages * st.page_size + st.index_bytes <= cfg.memory_limit);
  const double overhead = static_cast<double>(cfg.memory_limit) / st.curr_items - 116.0;
  MESSAGE("items=" << st.curr_items << " overhead/item=" << overhead
                   << " header=" << st.header_bytes / st.curr_items
                   << " slack=" << static_cast<double>(st.slack_bytes) / st.curr_items
                   << " index=" << static_cast<double>(st.index_bytes) / st.curr_items);
  CHECK(st.curr_items * 148 >= cfg.memory_limit);
  CHECK(st.payload_bytes == st.curr_items * 116);
  CHECK(st.header_bytes == st.curr_items * 26);

  // Adaptive's shadow caches come out of the same budget: 590 KiB at 64 MiB (512 sampled objects ×
  // 12 candidates, ×2 headroom), and so does room for its live policy's own state (1/64 of the
  // budget: S3-FIFO's ghost or W-TinyLFU's sketch, up to 2 bytes per item); with the index that
  // costs two of the 1 MiB pages (3.2% of the items).
  StoreConfig adaptive_cfg = cfg;
  adaptive_cfg.policy = policy::PolicyKind::kAdaptive;
  Store adaptive(adaptive_cfg);
  const StoreStats ast = FillUntilEviction(adaptive);
  MESSAGE("adaptive: items=" << ast.curr_items << " policy_bytes=" << ast.policy_bytes);
  CHECK(ast.curr_items * 100 >= st.curr_items * 96);
  CHECK(ast.total_pages * ast.page_size + ast.index_bytes + ast.policy_bytes <= cfg.memory_limit);
}

TEST_CASE("CLOCK: <= 16 bytes per item, >= 1.45x the items memcached holds at 64 MiB") {
  // Text-protocol sets (no CAS field): a 12-byte header, no policy links, 2 bytes of index per
  // item; memcached 1.6.18 holds 349,504 such items at -m 64 (bench/compare/memory_fill.py).
  StoreConfig cfg;
  cfg.memory_limit = 64u << 20;
  cfg.policy = policy::PolicyKind::kClock;
  Store store(cfg);
  const StoreStats st = FillUntilEviction(store, /*want_cas=*/false);
  const double overhead = static_cast<double>(cfg.memory_limit) / st.curr_items - 116.0;
  MESSAGE("clock: items=" << st.curr_items << " overhead/item=" << overhead);
  CHECK(st.item_header_size == 12);
  CHECK(st.header_bytes == st.curr_items * 12);
  CHECK(overhead <= 16.0);
  CHECK(st.curr_items * 100 >= 349504u * 145);
  CHECK(st.total_pages * st.page_size + st.index_bytes <= cfg.memory_limit);
}

TEST_CASE_TEMPLATE(
    "never more than the limit; eviction in LRU (or CLOCK) order spares recently read items", P,
    KMD_RECENCY_POLICIES) {
  test::ManualClock clock;
  // LRU or CLOCK: S3-FIFO, say, keeps unread early items in main.
  const StoreConfig cfg = ManualConfig(P::kKind, &clock, 8u << 20, 4);
  Store store(cfg);
  const std::string value(400, 'v');
  for (int i = 0; i < 1000; ++i) REQUIRE(store.Set(S(Key(i), value)).status == OpStatus::kOk);
  // Keep reading the first 100 while writing far more than fits.
  for (int i = 1000; i < 60000; ++i) {
    REQUIRE(store.Set(S(Key(i), value)).status == OpStatus::kOk);
    if (i % 50 == 0) {
      for (int k = 0; k < 100; ++k) CHECK(store.Get(G(Key(k))).status == OpStatus::kOk);
    }
    if (i % 5000 == 0) {
      StoreStats st = store.Stats();
      CHECK(st.total_pages * st.page_size + st.index_bytes <= cfg.memory_limit);
    }
  }
  StoreStats st = store.Stats();
  CHECK(st.evictions > 0);
  CHECK(st.evictions + st.curr_items == 60000);
  for (int k = 0; k < 100; ++k) CHECK(store.Get(G(Key(k))).status == OpStatus::kOk);
  // Items never read, written early, are gone.
  int survivors = 0;
  for (int k = 100; k < 1000; ++k) survivors += store.Get(G(Key(k))).status == OpStatus::kOk;
  CHECK(survivors == 0);
}

TEST_CASE_TEMPLATE("out of memory when every item is pinned", P, KMD_STORE_LAYOUTS) {
  StoreConfig cfg;
  cfg.policy = P::kKind;
  cfg.memory_limit = 3u << 20;
  cfg.shards = 2;
  Store store(cfg);
  const std::string value(1000, 'v');
  std::vector<ItemRef> pins;
  int i = 0;
  OpStatus status = OpStatus::kOk;
  for (; i < 100000; ++i) {
    status = store.Set(S(Key(i), value)).status;
    if (status != OpStatus::kOk) break;
    GetResult g = store.Get(G(Key(i)));
    REQUIRE(g.status == OpStatus::kOk);
    pins.push_back(std::move(g.ref));
  }
  CHECK(status == OpStatus::kNoMemory);
  CHECK(store.Stats().evictions == 0);
  pins.clear();
  CHECK(store.Set(S("after", value)).status == OpStatus::kOk);
  CHECK(store.Stats().evictions >= 1);
}

TEST_CASE_TEMPLATE("-M: a full store refuses sets, loses nothing, and reuses expired memory", P,
                   KMD_STORE_LAYOUTS) {
  test::ManualClock clock;
  StoreConfig cfg = ManualConfig(P::kKind, &clock, 4u << 20, 2);
  cfg.evictions = false;
  Store store(cfg);
  const std::string value(1000, 'v');
  int n = 0;
  OpStatus status = OpStatus::kOk;
  for (; n < 100000; ++n) {  // every other item expires in 10 s
    const std::string key = Key(n);
    status = store.Set(S(key, value, 0, n % 2 == 1 ? 10 : 0)).status;
    if (status != OpStatus::kOk) break;
  }
  CHECK(status == OpStatus::kNoMemory);
  StoreStats st = store.Stats();
  CHECK(st.evictions == 0);
  CHECK(st.curr_items == static_cast<uint64_t>(n));
  int present = 0;
  for (int i = 0; i < n; ++i) present += GetValue(store, Key(i)) == value;
  CHECK(present == n);

  // A list policy, like memcached's LRU, looks only a few items deep for an expired one under -M;
  // CLOCK's hand looks further. The crawler finds them all either way.
  clock.Advance(11);
  CHECK(store.CrawlExpired(SIZE_MAX) == static_cast<size_t>(n / 2));
  for (int i = 0; i < n / 4; ++i) {
    const std::string key = "new" + Key(i);
    REQUIRE(store.Set(S(key, value)).status == OpStatus::kOk);
  }
  st = store.Stats();
  CHECK(st.evictions == 0);
  CHECK(st.reclaimed == static_cast<uint64_t>(n / 2));
  for (int i = 0; i < n; i += 2) CHECK(GetValue(store, Key(i)) == value);
}

TEST_CASE_TEMPLATE("expired items at the tail are reclaimed before live ones are evicted", P,
                   KMD_STORE_LAYOUTS) {
  test::ManualClock clock;
  const StoreConfig cfg = ManualConfig(P::kKind, &clock, 4u << 20, 1);
  Store store(cfg);
  const std::string value(1000, 'v');
  int n = 0;
  while ((n % 64 != 0 || store.Stats().evictions == 0) && n < 100000) {
    store.Set(S(Key(n++), value, 0, 10));
  }
  clock.Advance(11);
  const uint64_t ev = store.Stats().evictions;
  for (int i = 0; i < 200; ++i)
    REQUIRE(store.Set(S("live" + Key(i), value)).status == OpStatus::kOk);
  StoreStats st = store.Stats();
  CHECK(st.evictions == ev);
  CHECK(st.reclaimed >= 200);
}

TEST_CASE_TEMPLATE("cas race: of two writers holding the same cas exactly one wins", P,
                   KMD_STORE_LAYOUTS) {
  StoreConfig cfg;
  cfg.policy = P::kKind;
  cfg.memory_limit = 8u << 20;
  Store store(cfg);
  store.Set(S("race", "0"));
  for (int round = 0; round < 2000; ++round) {
    const uint64_t cas = store.Get(G("race")).info.cas;
    std::atomic<int> wins{0}, exists{0};
    auto writer = [&](const char* v) {
      OpStatus st = store.Set(Cas("race", v, cas)).status;
      if (st == OpStatus::kOk) ++wins;
      if (st == OpStatus::kExists) ++exists;
    };
    std::thread a(writer, "a"), b(writer, "b");
    a.join();
    b.join();
    REQUIRE(wins == 1);
    REQUIRE(exists == 1);
  }
}

TEST_CASE_TEMPLATE("cas values are unique across keys and shards", P, KMD_STORE_LAYOUTS) {
  StoreConfig cfg;
  cfg.policy = P::kKind;
  Store store(cfg);
  std::vector<uint64_t> seen;
  for (int i = 0; i < 5000; ++i) seen.push_back(store.Set(S(Key(i % 300), "v")).cas);
  std::sort(seen.begin(), seen.end());
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
  CHECK(seen.front() != 0);
}

// Operations per thread in the stress below: fewer under ASan+UBSan, where the case runs 10x
// slower and once per layout (the 4-thread conformance stress covers every policy there too).
#ifdef KMD_SANITIZED
constexpr int kStressOps = 20000;
#else
constexpr int kStressOps = 40000;
#endif

TEST_CASE_TEMPLATE("concurrent stress keeps invariants", P, KMD_STORE_LAYOUTS) {
  StoreConfig cfg;
  cfg.policy = P::kKind;
  cfg.memory_limit = 8u << 20;
  cfg.shards = 8;
  cfg.max_item_size = 2u << 20;
  Store store(cfg);
  std::atomic<bool> bad{false};
  auto worker = [&](int seed) {
    std::mt19937 rng(seed);
    std::vector<ItemRef> held;
    for (int i = 0; i < kStressOps; ++i) {
      const std::string key = Key(static_cast<int>(rng() % 2000));
      const int op = static_cast<int>(rng() % 10);
      const size_t len = rng() % 8 == 0 ? rng() % 700000 : rng() % 300;
      // Every value is the key's first letter repeated: a reader can check its bytes.
      switch (op) {
        case 0:
        case 1:
        case 2: {
          store.Set(S(key, std::string(len, key.back())));
          break;
        }
        case 3:
          store.Set(S(key, std::string(len % 50, key.back()), 0, 0, StoreMode::kAppend));
          break;
        case 4:
          store.Delete(D(key));
          break;
        case 5:
          store.Arith(A(key, true, 3));
          break;
        case 6:
          store.Touch(key, rng() % 2 ? 0 : 1000);
          break;
        default: {
          GetResult g = store.Get(G(key));
          if (g.status == OpStatus::kOk) {
            if (g.ref.key() != key) bad = true;
            std::string v = Value(g.ref);
            for (char c : v) {
              if (c != key.back() && !(c >= '0' && c <= '9') && c != ' ') bad = true;
            }
            if (rng() % 4 == 0) held.push_back(std::move(g.ref));
            if (held.size() > 20) held.erase(held.begin());
          }
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(worker, t + 1);
  for (auto& t : threads) t.join();
  CHECK_FALSE(bad);
  StoreStats st = store.Stats();
  CHECK(st.total_pages * st.page_size + st.index_bytes <= cfg.memory_limit);
  uint64_t items = 0, used = 0;
  for (const ClassStats& c : st.classes) {
    items += c.items;
    used += c.used_chunks;
  }
  CHECK(items == st.curr_items);
  CHECK(used >= items);
  // With no refs outstanding, every used chunk belongs to a live item.
  uint64_t chunks = 0;
  for (const ClassStats& c : st.classes) chunks += c.used_chunks * c.chunk_size;
  CHECK(chunks == st.bytes);
  int found = 0;
  for (int k = 0; k < 2000; ++k) found += store.Get(G(Key(k))).status == OpStatus::kOk;
  CHECK(static_cast<uint64_t>(found) == st.curr_items);
}

}  // namespace
}  // namespace kmd::cache
