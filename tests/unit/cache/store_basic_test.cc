// Store basics: get/set/delete/stats and ItemRef, including chained large values.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "core/cache/store.h"
#include "tests/support/manual_clock.h"
#include "tests/unit/cache/test_args.h"

namespace kmd::cache {
namespace {

using namespace testing;  // NOLINT: test builders

std::string Gather(const ItemRef& ref) {
  std::vector<iovec> iov;
  ref.AppendValue(&iov);
  std::string out;
  for (const iovec& v : iov) out.append(static_cast<const char*>(v.iov_base), v.iov_len);
  return out;
}

TEST_CASE("set then get returns value, flags and a cas; delete removes") {
  test::ManualClock clock;
  StoreConfig cfg;
  cfg.clock = &clock;
  Store store(cfg);
  StoreResult sr = store.Set(S("k", "hello", 42));
  REQUIRE(sr.status == OpStatus::kOk);
  CHECK(sr.cas != 0);
  GetResult g = store.Get(G("k"));
  REQUIRE(g.status == OpStatus::kOk);
  CHECK(g.info.flags == 42);
  CHECK(g.info.cas == sr.cas);
  CHECK(g.ref.key() == "k");
  CHECK(Value(g.ref) == "hello");
  CHECK(Gather(g.ref) == "hello");
  CHECK(store.Delete(D("k")) == OpStatus::kOk);
  CHECK(store.Get(G("k")).status == OpStatus::kNotFound);
  CHECK(store.Delete(D("k")) == OpStatus::kNotFound);
  // The old ref still reads its bytes after the delete (pinned).
  CHECK(Value(g.ref) == "hello");
  StoreStats st = store.Stats();
  CHECK(st.curr_items == 0);
  CHECK(st.total_items == 1);
  CHECK(st.get_hits == 1);
  CHECK(st.get_misses == 1);
  CHECK(st.delete_hits == 1);
  CHECK(st.delete_misses == 1);
  CHECK(st.item_header_size == 20);  // 12 + the links of a list policy
}

TEST_CASE("large values are chained and round-trip") {
  StoreConfig cfg;
  cfg.memory_limit = 64u << 20;
  cfg.max_item_size = 8u << 20;
  Store store(cfg);
  for (size_t size : {size_t{900'000}, size_t{1u << 20}, size_t{5'000'000}, size_t{524'288}}) {
    std::string v(size, '\0');
    for (size_t i = 0; i < size; ++i) v[i] = static_cast<char>('a' + (i * 7 + size) % 26);
    const std::string key = "big" + std::to_string(size);
    REQUIRE(store.Set(S(key, v)).status == OpStatus::kOk);
    GetResult g = store.Get(G(key));
    REQUIRE(g.status == OpStatus::kOk);
    CHECK(g.ref.value_size() == size);
    CHECK(Value(g.ref) == v);
    CHECK(Gather(g.ref) == v);
    std::vector<iovec> iov;
    g.ref.AppendValue(&iov);
    const size_t head = 524'288 - 26 - key.size() - 8;
    CHECK(iov.size() == 1 + (size - head + 524'283) / 524'284);
  }
}

TEST_CASE("hundreds of readers of one item: past the 8-bit count they get copies") {
  Store store(StoreConfig{});
  REQUIRE(store.Set(S("hot", "value")).status == OpStatus::kOk);
  std::vector<ItemRef> refs;
  for (int i = 0; i < 400; ++i) {
    GetResult g = store.Get(G("hot"));
    REQUIRE(g.status == OpStatus::kOk);
    refs.push_back(std::move(g.ref));
  }
  for (const ItemRef& r : refs) {
    CHECK(r.key() == "hot");
    CHECK(Gather(r) == "value");
  }
  CHECK(store.Delete(D("hot")) == OpStatus::kOk);
  CHECK(Value(refs[0]) == "value");
  refs.clear();
  // Every reference dropped: the chunk went back to its class.
  for (const ClassStats& c : store.Stats().classes) CHECK(c.used_chunks == 0);
}

TEST_CASE("VisitCounters reports the Stats figures under Prometheus names") {
  // name{label=value,...} -> value, and name -> kind.
  struct Collect : base::CounterVisitor {
    std::map<std::string, double> seen;
    std::map<std::string, base::MetricKind> kinds;
    void Visit(std::string_view name, base::MetricKind kind, double value, std::string_view,
               const base::MetricLabel* labels, int label_count) override {
      std::string key(name);
      for (int i = 0; i < label_count; ++i) {
        key.append(i == 0 ? "{" : ",").append(labels[i].name).append("=").append(labels[i].value);
      }
      if (label_count > 0) key += "}";
      CHECK_MESSAGE(seen.count(key) == 0, key, " reported twice");
      seen[key] = value;
      kinds[std::string(name)] = kind;
    }
  } v;
  Store store(StoreConfig{});
  store.Set(S("a", "1"));
  store.Get(G("a"));
  store.Get(G("b"));
  store.VisitCounters(v);
  const StoreStats st = store.Stats();
  CHECK(v.seen["current_items"] == 1);
  CHECK(v.seen["commands_total{command=get,status=hit}"] == 1);
  CHECK(v.seen["commands_total{command=get,status=miss}"] == 1);
  CHECK(v.seen["commands_total{command=set,status=hit}"] == 1);
  CHECK(v.seen["memory_bytes{kind=index}"] == st.index_bytes);
  CHECK(v.seen["budget_used_bytes"] == st.budget_used());
  // The memory kinds add up to what -m pays for.
  double kinds = 0;
  for (const char* k : {"payload", "item_metadata", "slab_slack", "slab_free", "index", "policy"}) {
    kinds += v.seen[std::string("memory_bytes{kind=") + k + "}"];
  }
  CHECK(kinds == st.budget_used());
  REQUIRE(st.classes.size() == 1);
  const std::string slab = "{slab=" + std::to_string(st.classes[0].id) + "}";
  CHECK(v.seen["slab_current_items" + slab] == 1);
  CHECK(v.seen["slab_chunks_used" + slab] == 1);
  // Prometheus conventions: counters and only counters end in _total.
  for (const auto& [name, kind] : v.kinds) {
    const bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
    INFO(name);
    CHECK(total == (kind == base::MetricKind::kCounter));
  }
}

TEST_CASE("evicted_time: idle seconds of the class's most recently evicted item") {
  test::ManualClock clock(1'700'000'000);
  StoreConfig cfg;
  cfg.memory_limit = 4u << 20;
  cfg.clock = &clock;
  cfg.crawler_interval_ms = 0;
  Store store(cfg);
  const std::string value(1000, 'v');
  int i = 0;
  // Stats() walks every shard and class: look every 64 sets, not after each.
  for (; i < 10000 && (i % 64 != 0 || store.Stats().evictions == 0); ++i) {
    store.Set(S(std::string("k").append(std::to_string(i)), value));
  }
  // Every item is now 30 s idle; the next set evicts one of them.
  clock.Advance(30);
  const uint64_t before = store.Stats().evictions;
  store.Set(S(std::string("k").append(std::to_string(i)), value));
  const StoreStats st = store.Stats();
  REQUIRE(st.evictions > before);
  int64_t evicted_time = -1;
  for (const ClassStats& c : st.classes) {
    if (c.evicted > 0) evicted_time = c.evicted_time;
  }
  CHECK(evicted_time == 30);
}

TEST_CASE("default -I 1m: limits measured on memcached 1.6.18, 1 MiB value with room") {
  Store store(StoreConfig{});
  CHECK(store.MaxValueSize(3) == 1048514);
  CHECK(store.Set(S("foo", std::string(1048514, 'x'))).status == OpStatus::kOk);
  CHECK(store.Set(S("foo", std::string(1048515, 'x'))).status == OpStatus::kTooLarge);
  CHECK(store.Set(S("foo", std::string(1048510, 'x'), 1)).status == OpStatus::kOk);
  CHECK(store.Set(S("foo", std::string(1048511, 'x'), 1)).status == OpStatus::kTooLarge);
  StoreConfig cfg;
  cfg.max_item_size = (1u << 20) + 4096;
  Store roomy(cfg);
  std::string v(1u << 20, 'q');
  v[12345] = 'Z';
  REQUIRE(roomy.Set(S("mib", v)).status == OpStatus::kOk);
  CHECK(Value(roomy.Get(G("mib")).ref) == v);
}

}  // namespace
}  // namespace kmd::cache
