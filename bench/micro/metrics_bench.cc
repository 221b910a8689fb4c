// Scrape cost (issue 6): one /metrics scrape (store walk, every source, text serialization) of a
// store holding 1M items spread over 60 slab classes, and the store's stats walk alone. Next to
// the time: the longest single shard-lock hold of each walk, as median / p99 / max over the walks
// (wall clock: on a loaded machine the max includes the walking thread being descheduled).
// The store is filled once (1M keys, values of 8..480 bytes: 60 consecutive classes) in 1 GiB.
// Also: what the per-request latency timing costs (BM_LatencyLap).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/cache/store.h"
#include "server/admin/metrics_endpoint.h"

namespace {

using kmd::cache::OpStatus;
using kmd::cache::Store;
using kmd::cache::StoreArgs;
using kmd::cache::StoreConfig;

constexpr int kItems = 1'000'000;
constexpr int kClasses = 60;

struct Fixture {
  std::unique_ptr<Store> store;
  kmd::net::ServerCounters counters;
  kmd::dispatch::LatencyRecorder latency;
  std::unique_ptr<kmd::admin::MetricsEndpoint> endpoint;
};

Fixture& Filled() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    StoreConfig config;
    config.memory_limit = 1ull << 30;
    config.crawler_interval_ms = 0;
    fx->store = std::make_unique<Store>(config);
    const std::string value(8 * kClasses, 'v');
    char key[32];
    for (int i = 0; i < kItems; ++i) {
      std::snprintf(key, sizeof(key), "key:%010d", i);
      StoreArgs a;
      a.key = key;
      a.value = std::string_view(value).substr(0, 8 * (1 + i % kClasses));
      if (fx->store->Set(a).status != OpStatus::kOk) std::abort();
    }
    fx->endpoint = std::make_unique<kmd::admin::MetricsEndpoint>(
        kmd::admin::MetricsSources{fx->store.get(), &fx->counters, &fx->latency});
    return fx;
  }();
  return *f;
}

// Per-walk longest holds -> counters (microseconds).
void Report(benchmark::State& state, std::vector<uint64_t> holds_ns) {
  const kmd::cache::StoreStats st = Filled().store->Stats();
  state.counters["items"] = static_cast<double>(st.curr_items);
  state.counters["classes"] = static_cast<double>(st.classes.size());
  if (holds_ns.empty()) return;
  std::sort(holds_ns.begin(), holds_ns.end());
  const auto at = [&](double q) {
    return static_cast<double>(holds_ns[static_cast<size_t>(q * (holds_ns.size() - 1))]) / 1000.0;
  };
  state.counters["hold_p50_us"] = at(0.5);
  state.counters["hold_p99_us"] = at(0.99);
  state.counters["hold_max_us"] = at(1.0);
}

void BM_Scrape(benchmark::State& state) {
  Fixture& f = Filled();
  size_t bytes = 0;
  std::vector<uint64_t> holds;
  constexpr std::string_view kHold = "\nkotoba_stats_lock_hold_max_seconds ";
  for (auto _ : state) {
    const std::string text = f.endpoint->Scrape();
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
    // The scrape reports its own walk's longest hold; read it back rather than walk again.
    const size_t at = text.find(kHold);
    if (at != std::string::npos) {
      holds.push_back(
          static_cast<uint64_t>(std::strtod(text.c_str() + at + kHold.size(), nullptr) * 1e9));
    }
  }
  state.counters["text_bytes"] = static_cast<double>(bytes);
  Report(state, std::move(holds));
}
BENCHMARK(BM_Scrape)->Unit(benchmark::kMillisecond);

void BM_StoreStatsWalk(benchmark::State& state) {
  Fixture& f = Filled();
  std::vector<uint64_t> holds;
  for (auto _ : state) {
    const kmd::cache::StoreStats st = f.store->Stats();
    holds.push_back(st.lock_hold_max_ns);
    benchmark::DoNotOptimize(st.curr_items);
  }
  Report(state, std::move(holds));
}
BENCHMARK(BM_StoreStatsWalk)->Unit(benchmark::kMicrosecond);

// What timing adds to each request: one clock read, a bucket search, two relaxed stores.
void BM_LatencyLap(benchmark::State& state) {
  kmd::dispatch::LatencyRecorder recorder;
  kmd::dispatch::LatencyLaps laps(recorder.ShardForThisThread());
  laps.Start();
  for (auto _ : state) laps.End(kmd::dispatch::LatencyCommand::kGet);
}
BENCHMARK(BM_LatencyLap);

}  // namespace

BENCHMARK_MAIN();
