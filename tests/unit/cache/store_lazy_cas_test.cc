// The lazy CAS field (item.h): an item gets its 6-byte CAS field only when a CAS is handed out,
// and CAS semantics stay memcached's: unique per mutation, a write to one key never fails another
// key's cas, a cas with a CAS nobody was given fails, and concurrent CAS loops lose no update.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/cache/store.h"
#include "tests/unit/cache/store_fixture.h"
#include "tests/unit/cache/test_args.h"

namespace kmd::cache {
namespace {

using namespace testing;  // NOLINT: test builders

// A text-protocol set: nobody is told the CAS.
StoreArgs TextSet(std::string_view key, std::string_view value, uint32_t flags = 0,
                  int64_t exptime = 0) {
  StoreArgs a = S(key, value, flags, exptime);
  a.want_cas = false;
  return a;
}

GetArgs TextGet(std::string_view key) {
  GetArgs a = G(key);
  a.want_cas = false;
  return a;
}

TEST_CASE_FIXTURE(Fixture, "a CAS is handed out on first demand and stays until a mutation") {
  Store& s = *store;
  REQUIRE(s.Set(TextSet("k", "value", 7, 100)).status == OpStatus::kOk);

  const GetResult g1 = s.Get(G("k"));  // gets
  REQUIRE(g1.status == OpStatus::kOk);
  CHECK(g1.info.cas != 0);
  CHECK(Value(g1.ref) == "value");
  CHECK(g1.info.flags == 7);
  CHECK(g1.info.exptime == clock.NowSeconds() + 100);
  const GetResult g2 = s.Get(G("k"));
  CHECK(g2.info.cas == g1.info.cas);
  CHECK(s.Get(TextGet("k")).info.cas == g1.info.cas);  // the field stays with this version
  CHECK(g2.info.fetched_before);

  // The copy that gave the field is not a store: one item, one store counted.
  const StoreStats st = s.Stats();
  CHECK(st.curr_items == 1);
  CHECK(st.total_items == 1);
  CHECK(st.cas_items == 1);
  CHECK(st.cas_copies <= 1);  // none if the chunk had room for the field anyway

  // A text set makes a new version without a CAS: the old CAS fails, a new one is handed out.
  REQUIRE(s.Set(TextSet("k", "v2")).status == OpStatus::kOk);
  CHECK(s.Set(Cas("k", "x", g1.info.cas)).status == OpStatus::kExists);
  const GetResult g3 = s.Get(G("k"));
  CHECK(g3.info.cas != 0);
  CHECK(g3.info.cas != g1.info.cas);
  CHECK(s.Set(Cas("k", "v3", g3.info.cas)).status == OpStatus::kOk);
  CHECK(GetValue(s, "k") == "v3");
}

TEST_CASE_FIXTURE(Fixture, "a cas against an item whose CAS nobody holds fails, whatever the value") {
  Store& s = *store;
  REQUIRE(s.Set(TextSet("k", "v")).status == OpStatus::kOk);
  for (uint64_t guess : {uint64_t{1}, uint64_t{2}, uint64_t{1} << 20, uint64_t{0xFFFFFFFFFFFF}}) {
    CHECK(s.Set(Cas("k", "x", guess)).status == OpStatus::kExists);
    DeleteArgs d = D("k");
    d.compare_cas = guess;
    CHECK(s.Delete(d) == OpStatus::kExists);
  }
  CHECK(GetValue(s, "k") == "v");
}

TEST_CASE_FIXTURE(Fixture, "writes to other keys never fail a key's cas") {
  Store& s = *store;
  REQUIRE(s.Set(TextSet("a", "1")).status == OpStatus::kOk);
  const uint64_t cas_a = s.Get(G("a")).info.cas;
  for (int i = 0; i < 500; ++i) {
    const std::string key = std::string("other").append(std::to_string(i));
    REQUIRE(s.Set(TextSet(key, "x")).status == OpStatus::kOk);
    CHECK(s.Get(G(key)).info.cas != cas_a);
    REQUIRE(s.Set(S(key, "y")).status == OpStatus::kOk);  // binary-style: CAS at creation
  }
  CHECK(s.Set(Cas("a", "2", cas_a)).status == OpStatus::kOk);
}

TEST_CASE_FIXTURE(Fixture, "CAS values are unique across items and versions") {
  Store& s = *store;
  std::vector<uint64_t> seen;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 300; ++i) {
      const std::string key = std::string("k").append(std::to_string(i));
      if (i % 2 == 0) {
        REQUIRE(s.Set(TextSet(key, std::to_string(round))).status == OpStatus::kOk);
        seen.push_back(s.Get(G(key)).info.cas);
      } else {
        seen.push_back(s.Set(S(key, std::to_string(round))).cas);
      }
    }
  }
  std::sort(seen.begin(), seen.end());
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
  CHECK(seen.front() != 0);
}

TEST_CASE_FIXTURE(Fixture, "incr, append and touch on an item without a CAS field") {
  Store& s = *store;
  REQUIRE(s.Set(TextSet("n", "41")).status == OpStatus::kOk);
  const ArithResult a = s.Arith(A("n", true, 1));
  REQUIRE(a.status == OpStatus::kOk);
  CHECK(a.value == 42);
  CHECK(a.cas != 0);
  CHECK(s.Get(G("n")).info.cas == a.cas);
  const ArithResult b = s.Arith(A("n", true, 1));  // in place now, with a new CAS
  CHECK(b.cas != a.cas);
  CHECK(s.Get(G("n")).info.cas == b.cas);

  REQUIRE(s.Set(TextSet("t", "ab")).status == OpStatus::kOk);
  StoreArgs app = S("t", "cd", 0, 0, StoreMode::kAppend);
  app.want_cas = false;
  REQUIRE(s.Set(app).status == OpStatus::kOk);
  CHECK(s.Touch("t", 50) == OpStatus::kOk);
  const GetResult g = s.Get(G("t"));
  CHECK(Value(g.ref) == "abcd");
  CHECK(g.info.exptime == clock.NowSeconds() + 50);
  CHECK(g.info.cas != 0);
}

TEST_CASE_FIXTURE(Fixture, "meta invalidation: a CAS nobody holds is newer than any held one") {
  Store& s = *store;
  REQUIRE(s.Set(TextSet("k", "v", 0, 100)).status == OpStatus::kOk);
  const uint64_t old = s.Get(G("k")).info.cas;
  REQUIRE(s.Set(TextSet("k", "v2", 0, 100)).status == OpStatus::kOk);
  StoreArgs stale = S("k", "late");
  stale.compare_cas = old;
  stale.invalidate = true;
  REQUIRE(s.Set(stale).status == OpStatus::kOk);
  const GetResult g = s.Get(G("k"));
  CHECK(g.info.stale);
  CHECK(Value(g.ref) == "late");

  // md I E on an item without a CAS field: it gets the named CAS.
  REQUIRE(s.Set(TextSet("m", "v")).status == OpStatus::kOk);
  DeleteArgs d = D("m");
  d.invalidate = true;
  d.new_cas = 777;
  REQUIRE(s.Delete(d) == OpStatus::kOk);
  const GetResult gm = s.Get(G("m"));
  CHECK(gm.info.stale);
  CHECK(gm.info.cas == 777);
}

TEST_CASE_FIXTURE(Fixture, "items nobody asked the CAS of take 6 bytes less memory") {
  Store& s = *store;
  constexpr int kItems = 2000;
  // Value sizes spread over many slab classes, so that class rounding averages out.
  const auto value = [](int i) { return std::string(100 + static_cast<size_t>(i % 48), 'v'); };
  for (int i = 0; i < kItems; ++i) {
    REQUIRE(s.Set(TextSet(std::string("t").append(std::to_string(10000 + i)), value(i))).status == OpStatus::kOk);
  }
  const StoreStats text = s.Stats();
  for (int i = 0; i < kItems; ++i) {
    REQUIRE(s.Set(S(std::string("b").append(std::to_string(10000 + i)), value(i))).status == OpStatus::kOk);
  }
  const StoreStats both = s.Stats();
  CHECK(both.cas_items - text.cas_items == kItems);  // every binary-style item has the field
  CHECK(both.cas_copies == 0);
  const double text_chunk = static_cast<double>(text.bytes) / kItems;
  const double bin_chunk = static_cast<double>(both.bytes - text.bytes) / kItems;
  MESSAGE("chunk bytes per item: text ", text_chunk, ", binary-style ", bin_chunk);
  CHECK(bin_chunk - text_chunk > 4.5);
  CHECK(bin_chunk - text_chunk < 7.5);
  // Every item has the 20-byte header; CAS and exptime fields only where asked or free.
  CHECK(text.header_bytes >= uint64_t{20} * kItems);
}

TEST_CASE("concurrent gets/cas loops lose no increment while text sets churn other keys") {
  StoreConfig cfg;
  cfg.memory_limit = 16u << 20;
  cfg.shards = 4;
  cfg.crawler_interval_ms = 0;
  Store s(cfg);
  REQUIRE(s.Set(TextSet("counter", "0")).status == OpStatus::kOk);
  constexpr int kThreads = 4;
  constexpr int kIncrements = 300;
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string key = std::string("churn").append(std::to_string(i % 500));
      s.Set(TextSet(key, "x"));
      s.Get(G(key));
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&] {
      for (int done = 0; done < kIncrements;) {
        GetResult g = s.Get(G("counter"));
        const uint64_t n = std::stoull(Value(g.ref));
        // A text cas: the new version has no CAS field, so the next gets copies it first.
        const std::string next = std::to_string(n + 1);
        StoreArgs c = Cas("counter", next, g.info.cas);
        c.want_cas = false;
        if (s.Set(c).status == OpStatus::kOk) ++done;
      }
    });
  }
  for (auto& w : workers) w.join();
  stop = true;
  churn.join();
  CHECK(GetValue(s, "counter") == std::to_string(kThreads * kIncrements));
}

}  // namespace
}  // namespace kmd::cache
