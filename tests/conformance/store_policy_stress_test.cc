// The real Store under each eviction policy: 4 threads of mixed set/get/delete/touch on a store
// small enough to evict all the time, then its invariants: the items Stats counts are the items a
// full scan finds, every value read is the one written for its key, the memory limit holds.
// Run under ASan+UBSan (KMD_SANITIZE) this is the suite's concurrency check.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/cache/policy/policy_kind.h"
#include "core/cache/store.h"
#include "tests/unit/cache/test_args.h"

namespace kmd::cache {
namespace {

using namespace testing;  // NOLINT: test builders

constexpr int kKeys = 30000;
constexpr int kThreads = 4;

std::string Key(int i) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "key:%08d", i);
  return buf;
}

// The value written for key i: its length varies by key (several slab classes) and every byte
// says which key it belongs to.
std::string Val(int i) {
  static constexpr size_t kLens[] = {40, 100, 300, 900, 2500};
  return std::string(kLens[i % 5] + i % 17, static_cast<char>('a' + i % 26));
}

bool ValueOk(int i, const ItemRef& ref) { return Value(ref) == Val(i); }

TEST_CASE("conformance: the Store under every policy keeps its invariants under 4 threads") {
  for (policy::PolicyKind kind :
       {policy::PolicyKind::kLru, policy::PolicyKind::kFifo, policy::PolicyKind::kLfu,
        policy::PolicyKind::kSieve, policy::PolicyKind::kS3Fifo, policy::PolicyKind::kWTinyLfu,
        policy::PolicyKind::kAdaptive, policy::PolicyKind::kClock}) {
    CAPTURE(policy::PolicyName(kind));
    StoreConfig cfg;
    cfg.memory_limit = 4u << 20;
    cfg.page_size = 64u << 10;  // pages enough for every class to fill and evict its own items
    cfg.shards = 16;
    cfg.policy = kind;
    cfg.crawler_interval_ms = 0;
    Store store(cfg);
    std::atomic<bool> stop{false};
    std::atomic<int> bad{0};
    std::atomic<uint64_t> ops{0};
    auto worker = [&](int t) {
      std::mt19937 rng(1234 + t);
      std::vector<ItemRef> held;  // pinned items: Victim's Next() path in the Store
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        // Skewed keys: half the requests go to a hot tenth of the key space.
        const int k = rng() % 2 == 0 ? static_cast<int>(rng() % (kKeys / 10))
                                     : static_cast<int>(rng() % kKeys);
        const std::string key = Key(k);
        const unsigned dice = rng() % 100;
        if (dice < 55) {
          GetResult g = store.Get(G(key));
          if (g.status == OpStatus::kOk) {
            if (!ValueOk(k, g.ref)) ++bad;
            if (dice < 2) held.push_back(std::move(g.ref));
            if (held.size() > 8) held.erase(held.begin());
          }
        } else if (dice < 90) {
          const OpStatus s = store.Set(S(key, Val(k))).status;
          if (s != OpStatus::kOk && s != OpStatus::kNoMemory) ++bad;
        } else if (dice < 96) {
          store.Delete(D(key));
        } else {
          store.Touch(key, 0);
        }
        ++n;
      }
      ops += n;
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
    // About a second, and on until the store has evicted (a sanitized build runs ~20x slower).
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    while (store.Stats().evictions < 1000 &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(20)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    stop = true;
    for (auto& th : threads) th.join();

    CHECK(bad == 0);
    const StoreStats st = store.Stats();
    MESSAGE(policy::PolicyName(kind) << ": ops=" << ops.load() << " items=" << st.curr_items
                                     << " evictions=" << st.evictions);
    CHECK(st.evictions > 0);
    // Every item Stats counts is found by a scan of the key space, with the right value.
    uint64_t found = 0;
    for (int k = 0; k < kKeys; ++k) {
      const std::string key = Key(k);
      GetArgs a = G(key);
      a.bump = false;
      GetResult g = store.Get(a);
      if (g.status != OpStatus::kOk) continue;
      ++found;
      CHECK(ValueOk(k, g.ref));
    }
    CHECK(found == st.curr_items);
    uint64_t class_items = 0;
    for (const ClassStats& c : st.classes) class_items += c.items;
    CHECK(class_items == st.curr_items);
    CHECK(st.total_pages * st.page_size + st.index_bytes <= cfg.memory_limit);
    // Emptying through the policies' enumeration leaves nothing behind.
    store.Flush(0);
    for (int k = 0; k < kKeys; k += 97) CHECK(store.Get(G(Key(k))).status == OpStatus::kNotFound);
  }
}

}  // namespace
}  // namespace kmd::cache
