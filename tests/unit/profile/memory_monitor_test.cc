// MemoryMonitor over a real Store: the ring wraps at its capacity keeping the newest samples,
// the kinds of a sample add up to RSS, a snapshot of a full one-hour history is fast, and the
// thread samples at its interval and stops.
#include "core/profile/memory_monitor.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "core/profile/sample_ring.h"

namespace kmd::profile {
namespace {

using namespace std::chrono_literals;

cache::StoreArgs Set(const std::string& key, const std::string& value) {
  cache::StoreArgs a;
  a.key = key;
  a.value = value;
  return a;
}

cache::StoreConfig SmallStore() {
  cache::StoreConfig cfg;
  cfg.memory_limit = 16u << 20;
  cfg.crawler_interval_ms = 0;
  return cfg;
}

TEST_CASE("sample ring keeps the newest `capacity` values, oldest first") {
  SampleRing<int> ring(3);
  CHECK(ring.empty());
  for (int i = 1; i <= 2; ++i) ring.Push(i);
  CHECK(ring.ToVector() == std::vector<int>{1, 2});
  for (int i = 3; i <= 7; ++i) ring.Push(i);
  CHECK(ring.size() == 3);
  CHECK(ring.ToVector() == std::vector<int>{5, 6, 7});
  CHECK(ring.At(0) == 5);
  CHECK(ring.Newest() == 7);
  CHECK_THROWS(SampleRing<int>(0));
}

TEST_CASE("monitor: history wraps at its capacity and samples_taken keeps counting") {
  cache::Store store(SmallStore());
  MonitorOptions options;
  options.history = 4;
  MemoryMonitor monitor(store, options);
  CHECK_FALSE(monitor.Latest());
  for (int i = 0; i < 10; ++i) monitor.SampleNow();
  const MemorySnapshot snap = monitor.Snapshot();
  CHECK(snap.history.size() == 4);
  CHECK(snap.capacity == 4);
  CHECK(snap.samples_taken == 10);
  REQUIRE(snap.has_latest);
  CHECK(snap.history.back().time_ms == snap.latest.time_ms);
  for (size_t i = 1; i < snap.history.size(); ++i) {
    CHECK(snap.history[i - 1].time_ms <= snap.history[i].time_ms);
  }
}

TEST_CASE("monitor: the kinds add up to RSS and follow the store") {
  cache::Store store(SmallStore());
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(store.Set(Set("key:" + std::to_string(i), std::string(200, 'v'))).status ==
            cache::OpStatus::kOk);
  }
  MemoryMonitor monitor(store, MonitorOptions{});
  const MemorySample s = monitor.SampleNow();
  const cache::StoreStats st = store.Stats();
  CHECK(s.items == 1000);
  CHECK(s.split.payload == st.payload_bytes);
  CHECK(s.split.item_metadata == st.header_bytes);
  CHECK(s.split.accounted() == st.budget_used());
  CHECK(s.rss > 0);
  uint64_t sum = 0;
  for (uint64_t v : s.split.values()) sum += v;
  // RSS = accounted + unaccounted whenever RSS covers the accounted bytes (else unaccounted 0).
  CHECK(sum == std::max(s.rss, s.split.accounted()));
#ifndef KMD_SANITIZED  // ASan's allocator replaces glibc's: mallinfo2 reports zeros
  CHECK(s.malloc.arena > 0);
#endif
  CHECK(s.page_source.bytes == st.total_pages * st.page_size);
  const MemorySnapshot snap = monitor.Snapshot();
  REQUIRE_FALSE(snap.classes.empty());
  uint64_t class_items = 0;
  for (const cache::ClassStats& k : snap.classes) class_items += k.items;
  CHECK(class_items == 1000);
}

TEST_CASE("monitor: with RSS below the accounted bytes nothing is unaccounted") {
  cache::Store store(SmallStore());
  REQUIRE(store.Set(Set("k", "v")).status == cache::OpStatus::kOk);
  MonitorOptions options;
  options.read_rss = [] { return uint64_t{4096}; };
  MemoryMonitor monitor(store, options);
  const MemorySample s = monitor.SampleNow();
  CHECK(s.rss == 4096);
  CHECK(s.split.unaccounted == 0);
  options.read_rss = [] { return uint64_t{1} << 40; };
  MemoryMonitor big(store, options);
  const MemorySample b = big.SampleNow();
  CHECK(b.split.unaccounted + b.split.accounted() == b.rss);
}

TEST_CASE("monitor: a snapshot of a full default history answers well under 100 ms") {
  cache::Store store(SmallStore());
  MemoryMonitor monitor(store, MonitorOptions{});  // 3600 samples
  for (int i = 0; i < 3600 + 10; ++i) monitor.SampleNow();
  const auto start = std::chrono::steady_clock::now();
  const MemorySnapshot snap = monitor.Snapshot();
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(snap.history.size() == 3600);
  MESSAGE("snapshot of 3600 samples: ",
          std::chrono::duration_cast<std::chrono::microseconds>(took).count(), " us");
  CHECK(took < 100ms);
}

TEST_CASE("monitor: the thread samples at its interval and Stop ends it") {
  cache::Store store(SmallStore());
  MonitorOptions options;
  options.interval = 10ms;
  MemoryMonitor monitor(store, options);
  monitor.Start();
  CHECK(monitor.held() >= 1);  // Start takes the first sample itself
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (monitor.held() < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  CHECK(monitor.held() >= 4);
  monitor.Stop();
  const size_t held = monitor.held();
  std::this_thread::sleep_for(50ms);
  CHECK(monitor.held() == held);
  monitor.Stop();  // idempotent
}

}  // namespace
}  // namespace kmd::profile
