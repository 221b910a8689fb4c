// Page moves between slab classes when the value-size mix shifts: no out-of-memory, the limit
// holds, new items take over the memory, pinned items stay intact; ResetStats. Each under a list
// policy and under CLOCK.
#include <doctest/doctest.h>

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

std::string Key(const char* prefix, int i) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s:%010d", prefix, i);
  return buf;
}

// A value whose bytes a reader can check: its length and a letter derived from the key index.
std::string Val(int i, size_t len) { return std::string(len, static_cast<char>('a' + i % 26)); }

uint64_t PagesOfClassFor(const StoreStats& st, uint32_t min_chunk, uint32_t max_chunk) {
  uint64_t pages = 0;
  for (const ClassStats& c : st.classes) {
    if (c.chunk_size >= min_chunk && c.chunk_size <= max_chunk) pages += c.total_pages;
  }
  return pages;
}

struct ShiftResult {
  StoreStats st;
  bool old_pin_intact = false;
  bool new_pin_intact = false;
};

// Fills with `first`-byte values until evicting, lets them age, then writes `second`-byte values
// (every Set must succeed) while holding a reader's ref on one item of each phase.
ShiftResult ShiftSizes(size_t first, size_t second, size_t limit, policy::PolicyKind kind) {
  test::ManualClock clock;
  StoreConfig cfg;
  cfg.policy = kind;
  cfg.clock = &clock;
  cfg.memory_limit = limit;
  cfg.shards = 4;
  Store store(cfg);
  int n = 0;
  // Stats() walks every shard and class: look every 64 sets, not after each.
  while (n % 64 != 0 || store.Stats().evictions == 0) {
    REQUIRE(store.Set(S(Key("old", n), Val(n, first))).status == OpStatus::kOk);
    ++n;
  }
  for (int i = 0; i < 1000; ++i, ++n) {
    REQUIRE(store.Set(S(Key("old", n), Val(n, first))).status == OpStatus::kOk);
  }
  GetResult old_pin = store.Get(G(Key("old", n - 1)));
  REQUIRE(old_pin.status == OpStatus::kOk);
  clock.Advance(100);

  ShiftResult out;
  const int writes = static_cast<int>(3 * limit / second);
  GetResult new_pin;
  for (int i = 0; i < writes; ++i) {
    const StoreResult r = store.Set(S(Key("new", i), Val(i, second)));
    REQUIRE(r.status == OpStatus::kOk);
    if (i == 10) {
      new_pin = store.Get(G(Key("new", i)));
      REQUIRE(new_pin.status == OpStatus::kOk);
    }
    if (i % 500 == 0) {
      const StoreStats st = store.Stats();
      REQUIRE(st.total_pages * st.page_size + st.index_bytes <= cfg.memory_limit);
      clock.Advance(1);
    }
  }
  out.old_pin_intact = Value(old_pin.ref) == Val(n - 1, first);
  out.new_pin_intact = Value(new_pin.ref) == Val(10, second);
  out.st = store.Stats();
  CHECK(out.st.total_pages * out.st.page_size + out.st.index_bytes <= cfg.memory_limit);
  // The newest items are all there and readable.
  for (int i = writes - 50; i < writes; ++i) {
    CHECK(GetValue(store, Key("new", i)) == Val(i, second));
  }
  return out;
}

TEST_CASE_TEMPLATE("small values then large ones: every set stored, pages move to the large class",
                   P, KMD_STORE_LAYOUTS) {
  const ShiftResult r = ShiftSizes(100, 2000, 16u << 20, P::kKind);
  const StoreStats& st = r.st;
  CHECK(r.old_pin_intact);
  CHECK(r.new_pin_intact);
  CHECK(st.slabs_moved > 0);
  CHECK(st.slab_reassign_evictions > 0);
  const uint64_t big_pages = PagesOfClassFor(st, 2000, 2400);
  MESSAGE("pages=" << st.total_pages << " large-class pages=" << big_pages << " moved="
                   << st.slabs_moved << " reassign_evictions=" << st.slab_reassign_evictions);
  CHECK(big_pages * 10 >= st.total_pages * 8);  // mostly new items
  for (const ClassStats& c : st.classes) CHECK(c.outofmemory == 0);
}

TEST_CASE_TEMPLATE("large values then small ones: every set stored, pages move to the small class",
                   P, KMD_STORE_LAYOUTS) {
  const ShiftResult r = ShiftSizes(2000, 100, 16u << 20, P::kKind);
  const StoreStats& st = r.st;
  CHECK(r.old_pin_intact);
  CHECK(r.new_pin_intact);
  CHECK(st.slabs_moved > 0);
  const uint64_t small_pages = PagesOfClassFor(st, 100, 200);
  MESSAGE("pages=" << st.total_pages << " small-class pages=" << small_pages
                   << " moved=" << st.slabs_moved << " busy=" << st.slab_reassign_busy_items
                   << " reassign_evictions=" << st.slab_reassign_evictions);
  CHECK(small_pages * 10 >= st.total_pages * 8);
}

TEST_CASE_TEMPLATE("a class with no page gets one even when the clock never moves", P,
                   KMD_STORE_LAYOUTS) {
  // With a real, unmoving notion of age no class is "older": only the starved rule moves pages.
  test::ManualClock clock;
  StoreConfig cfg;
  cfg.policy = P::kKind;
  cfg.clock = &clock;
  cfg.memory_limit = 8u << 20;
  cfg.shards = 4;
  Store store(cfg);
  int n = 0;
  while (n % 64 != 0 || store.Stats().evictions == 0) {  // Stats() walks it all: every 64 sets
    store.Set(S(Key("old", n), Val(n, 100)));
    ++n;
  }
  for (int i = 0; i < 5000; ++i) {
    REQUIRE(store.Set(S(Key("new", i), Val(i, 3000))).status == OpStatus::kOk);
  }
  const StoreStats st = store.Stats();
  CHECK(st.slabs_moved >= 1);
  CHECK(st.total_pages * st.page_size + st.index_bytes <= cfg.memory_limit);
  CHECK(GetValue(store, Key("new", 4999)) == Val(4999, 3000));
}

TEST_CASE_TEMPLATE("pages whose items are all pinned are not moved; out of memory then, as before",
                   P, KMD_STORE_LAYOUTS) {
  StoreConfig cfg;
  cfg.policy = P::kKind;
  cfg.memory_limit = 4u << 20;
  cfg.shards = 2;
  Store store(cfg);
  std::vector<ItemRef> pins;
  int n = 0;
  // Pin every small item: no page of the small class can be emptied.
  for (;; ++n) {
    if (store.Set(S(Key("old", n), Val(n, 100))).status != OpStatus::kOk) break;
    GetResult g = store.Get(G(Key("old", n)));
    REQUIRE(g.status == OpStatus::kOk);
    pins.push_back(std::move(g.ref));
  }
  CHECK(store.Set(S("big", Val(0, 5000))).status == OpStatus::kNoMemory);
  const StoreStats st = store.Stats();
  CHECK(st.slabs_moved == 0);
  CHECK(st.evictions == 0);
  for (size_t i = 0; i < pins.size(); i += 97) {
    CHECK(Value(pins[i]) == Val(static_cast<int>(i), 100));
  }
  pins.clear();
  CHECK(store.Set(S("big", Val(0, 5000))).status == OpStatus::kOk);
  CHECK(store.Stats().slabs_moved == 1);
}

TEST_CASE_TEMPLATE("concurrent writers with a shifting size mix and pinning readers", P,
                   KMD_STORE_LAYOUTS) {
  test::ManualClock clock;
  StoreConfig cfg;
  cfg.policy = P::kKind;
  cfg.clock = &clock;
  cfg.memory_limit = 8u << 20;
  cfg.shards = 8;
  Store store(cfg);
  std::atomic<bool> bad{false};
  std::atomic<int> nomem{0};
  std::atomic<bool> stop{false};
  std::thread ticker([&] {
    while (!stop) {
      clock.Advance(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  auto worker = [&](int t) {
    std::vector<ItemRef> held;
    for (int phase = 0; phase < 4; ++phase) {
      const size_t len = phase % 2 == 0 ? 90 : 1500 + 400 * t;
      for (int i = 0; i < 6000; ++i) {
        const int k = (t * 7919 + i) % 4000;
        const std::string key = Key("k", k);
        if (store.Set(S(key, Val(k, len))).status == OpStatus::kNoMemory) ++nomem;
        GetResult g = store.Get(G(Key("k", (k * 31) % 4000)));
        if (g.status == OpStatus::kOk) {
          const std::string v = Value(g.ref);
          const char want = static_cast<char>('a' + ((k * 31) % 4000) % 26);
          for (char c : v) bad = bad || c != want;
          if (i % 7 == 0) held.push_back(std::move(g.ref));
          if (held.size() > 16) held.erase(held.begin());
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) threads.emplace_back(worker, t);
  for (auto& th : threads) th.join();
  stop = true;
  ticker.join();
  CHECK_FALSE(bad);
  const StoreStats st = store.Stats();
  MESSAGE("moved=" << st.slabs_moved << " busy=" << st.slab_reassign_busy_items
                   << " nomem=" << nomem.load());
  CHECK(st.slabs_moved > 0);
  // Under contention a move can find every candidate page busy (readers pin up to 48 items,
  // writers fill chunks) and the store then answers out of memory, as it did before moves; it
  // must stay rare. Measured 0 to 0.12% on an idle 2-core machine and up to 2.8% under load from
  // other processes (the pins then cover more pages at the moment a move looks). Without page
  // moves the large-value phases fail almost every set (about 37% of all sets), so 10% still
  // catches moves that stop working, without making the test flaky on shared CI machines.
  CHECK(nomem * 10 <= 3 * 4 * 6000);
  CHECK(st.total_pages * st.page_size + st.index_bytes <= cfg.memory_limit);
  uint64_t chunks = 0;
  for (const ClassStats& c : st.classes) chunks += c.used_chunks * c.chunk_size;
  CHECK(chunks == st.bytes);  // no refs held now: every used chunk is a live item's
}

TEST_CASE_TEMPLATE("ResetStats zeroes counters and keeps what is stored", P, KMD_STORE_LAYOUTS) {
  StoreConfig cfg;
  cfg.policy = P::kKind;
  cfg.memory_limit = 8u << 20;
  Store store(cfg);
  for (int i = 0; i < 100; ++i) store.Set(S(Key("k", i), "v"));
  store.Get(G(Key("k", 1)));
  store.Get(G("missing"));
  store.Delete(D(Key("k", 2)));
  store.Flush(100);
  StoreStats before = store.Stats();
  REQUIRE(before.cmd_set == 100);
  store.ResetStats();
  const StoreStats st = store.Stats();
  CHECK(st.cmd_set == 0);
  CHECK(st.cmd_get == 0);
  CHECK(st.get_hits == 0);
  CHECK(st.get_misses == 0);
  CHECK(st.delete_hits == 0);
  CHECK(st.total_items == 0);
  CHECK(st.cmd_flush == 0);
  CHECK(st.slabs_moved == 0);
  CHECK(st.curr_items == before.curr_items);
  CHECK(st.bytes == before.bytes);
  CHECK(st.total_pages == before.total_pages);
  CHECK(GetValue(store, Key("k", 3)) == "v");
  CHECK(store.Stats().get_hits == 1);
}

}  // namespace
}  // namespace kmd::cache
