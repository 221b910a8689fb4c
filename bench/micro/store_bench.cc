// cache::Store operation cost on a warm store: get hit (pin + release of the item), get miss, and
// set (overwrite of a live key, the steady state), 16-byte keys and 100-byte values, on 1 and 2
// threads. The store is built once (100k items in 64 MiB: no eviction) and shared by all
// benchmarks; keys are visited in a fixed random order so that the index is not walked in
// insertion order. KMD_BENCH_PAGE_SOURCE=arena|system|jemalloc|mimalloc picks the store's page
// source (default arena): the store maps item pointers back to refs (RefOf) on every hit and set.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/cache/store.h"
#include "core/memory/process_env.h"

namespace {

using kmd::cache::GetArgs;
using kmd::cache::OpStatus;
using kmd::cache::Store;
using kmd::cache::StoreArgs;
using kmd::cache::StoreConfig;

constexpr int kKeys = 100000;

struct Fixture {
  std::unique_ptr<Store> store;
  std::vector<std::string> hit_keys;
  std::vector<std::string> miss_keys;
  std::string value = std::string(100, 'v');
};

kmd::memory::PageSourceKind PageSourceFromEnv() {
  const char* name = std::getenv("KMD_BENCH_PAGE_SOURCE");
  if (name == nullptr) return kmd::memory::PageSourceKind::kArena;
  const auto kind = kmd::memory::ParsePageSourceKind(name);
  if (!kind) {
    std::fprintf(stderr, "KMD_BENCH_PAGE_SOURCE: unknown page source %s\n", name);
    std::exit(2);
  }
  return *kind;
}

Fixture& Warm() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    StoreConfig config;
    config.page_source = PageSourceFromEnv();
    fx->store = std::make_unique<Store>(config);
    char buf[32];
    for (int i = 0; i < kKeys; ++i) {
      std::snprintf(buf, sizeof(buf), "key:%012d", i);
      fx->hit_keys.emplace_back(buf);
      std::snprintf(buf, sizeof(buf), "nok:%012d", i);
      fx->miss_keys.emplace_back(buf);
    }
    std::mt19937 rng(1);
    std::shuffle(fx->hit_keys.begin(), fx->hit_keys.end(), rng);
    std::shuffle(fx->miss_keys.begin(), fx->miss_keys.end(), rng);
    for (const auto& k : fx->hit_keys) {
      StoreArgs a;
      a.key = k;
      a.value = fx->value;
      if (fx->store->Set(a).status != OpStatus::kOk) std::abort();
    }
    return fx;
  }();
  return *f;
}

// Each thread starts at its own offset so that two threads do not walk the same keys in step.
size_t Start(const benchmark::State& state) {
  return static_cast<size_t>(state.thread_index()) * (kKeys / 2);
}

void BM_GetHit(benchmark::State& state) {
  Fixture& f = Warm();
  size_t i = Start(state);
  uint64_t misses = 0;
  for (auto _ : state) {
    GetArgs a;
    a.key = f.hit_keys[i];
    auto r = f.store->Get(a);
    misses += r.status != OpStatus::kOk;
    benchmark::DoNotOptimize(r);
    if (++i == kKeys) i = 0;
  }
  if (misses != 0) state.SkipWithError("a warm key missed");
  state.SetItemsProcessed(state.iterations());
}

void BM_GetMiss(benchmark::State& state) {
  Fixture& f = Warm();
  size_t i = Start(state);
  for (auto _ : state) {
    GetArgs a;
    a.key = f.miss_keys[i];
    auto r = f.store->Get(a);
    benchmark::DoNotOptimize(r);
    if (++i == kKeys) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Set(benchmark::State& state) {
  Fixture& f = Warm();
  size_t i = Start(state);
  for (auto _ : state) {
    StoreArgs a;
    a.key = f.hit_keys[i];
    a.value = f.value;
    auto r = f.store->Set(a);
    benchmark::DoNotOptimize(r);
    if (++i == kKeys) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_GetHit)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_GetMiss)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_Set)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  // A dlopen'ed jemalloc or mimalloc page source needs the static TLS surplus raised at start-up.
  using kmd::memory::ProcessAllocator;
  const kmd::memory::PageSourceKind kind = PageSourceFromEnv();
  if (kmd::memory::CheckLaunch(ProcessAllocator::kSystem, kind).reexec) {
    std::fprintf(stderr, "%s\n",
                 kmd::memory::ReExec(ProcessAllocator::kSystem, kind, argv).c_str());
    return 2;
  }
  benchmark::AddCustomContext("page_source", std::string(kmd::memory::PageSourceName(kind)));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
