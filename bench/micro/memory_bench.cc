// Allocate+free pair cost: core/memory's SlabAllocator against glibc malloc, jemalloc and mimalloc,
// in one binary, on 1 and 2 threads; the slab pair again over each page source; a page
// allocate+free per page source; and Resolve+RefOf per page source (arithmetic for the arena, the
// page hash for the others). jemalloc and mimalloc are loaded by core/memory's allocator_libs
// (dlopen RTLD_LOCAL, called through dlsym): linking either would replace glibc's malloc for the
// whole process (both export `malloc`), so every baseline would measure the same allocator. The
// binary proves what it loaded (library path from dladdr, jemalloc's mallctl "version",
// mi_version) in its context header and aborts if a baseline resolves to glibc's symbol. Both
// libraries use initial-exec TLS, which dlopen can place only in glibc's static TLS surplus, so
// main() re-executes itself once with it raised (core/memory/process_env.h, as the daemon does).
#include <benchmark/benchmark.h>
#include <gnu/libc-version.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/memory/page_source/allocator_libs.h"
#include "core/memory/page_source/page_source.h"
#include "core/memory/process_env.h"
#include "core/memory/slab_allocator.h"

namespace {

using MallocFn = void* (*)(size_t);
using FreeFn = void (*)(void*);

struct Allocator {
  const char* name = nullptr;
  MallocFn malloc_fn = nullptr;
  FreeFn free_fn = nullptr;
};

using kmd::memory::LibraryOf;
using kmd::memory::PageSourceKind;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "memory_bench: %s\n", why.c_str());
  std::exit(2);
}

// glibc through a function pointer as well: the baselines that must be called through dlsym pay
// an indirect call, so the glibc figure pays it too.
Allocator LoadGlibc() {
  Allocator a{"glibc", &::malloc, &::free};
  benchmark::AddCustomContext("glibc", std::string(gnu_get_libc_version()) + " (" +
                                           LibraryOf(reinterpret_cast<void*>(a.malloc_fn)) + ")");
  return a;
}

// A dlopen'ed baseline, named in the context header with its version and the file its malloc is
// in; exits if it cannot be loaded or resolves to the process's own malloc.
Allocator Baseline(const char* name, MallocFn malloc_fn, FreeFn free_fn,
                   const std::string& version) {
  Allocator a{name, malloc_fn, free_fn};
  if (reinterpret_cast<void*>(a.malloc_fn) == reinterpret_cast<void*>(&::malloc)) {
    Die(std::string(a.name) + " resolved to the process's malloc, not its own");
  }
  benchmark::AddCustomContext(
      name, version + " (malloc in " + LibraryOf(reinterpret_cast<void*>(a.malloc_fn)) + ")");
  return a;
}

Allocator g_alloc[3];

// A source of `pages` 1 MiB pages of the given kind; exits naming the library if it cannot.
std::unique_ptr<kmd::memory::PageSource> Source(PageSourceKind kind, uint32_t pages) {
  kmd::memory::PageSourceOptions o;
  o.kind = kind;
  o.max_pages = pages;
  kmd::memory::MadePageSource made = kmd::memory::MakePageSource(o);
  if (made.source == nullptr) Die(made.error);
  return std::move(made.source);
}

// One slab allocator per page source, 256 MiB of budget each; only pages that are carved cost
// memory (the arena's are reserved, the others' allocated when a class needs one).
kmd::memory::SlabAllocator& Slab(PageSourceKind kind = PageSourceKind::kArena) {
  static std::unique_ptr<kmd::memory::SlabAllocator> slabs[4];
  static std::mutex mu;
  std::lock_guard lock(mu);
  auto& slab = slabs[static_cast<int>(kind)];
  if (!slab) slab = std::make_unique<kmd::memory::SlabAllocator>(256u << 20, Source(kind, 256));
  return *slab;
}

// One pair per iteration: the free list (or thread cache) is hot, the steady state of a cache
// that replaces an item of the same size. The block is touched like a caller would.
void BM_SlabPair(benchmark::State& state, PageSourceKind kind) {
  auto& slab = Slab(kind);
  const int cls = slab.classes().ClassFor(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    kmd::memory::Ref r = slab.Alloc(cls);
    if (r == kmd::memory::kNullRef) {
      state.SkipWithError("slab budget spent");
      break;
    }
    auto* p = static_cast<uint64_t*>(slab.Resolve(r));
    p[1] = 1;
    benchmark::DoNotOptimize(p);
    slab.Free(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_MallocPair(benchmark::State& state, int which) {
  const Allocator& a = g_alloc[which];
  const size_t size = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    auto* p = static_cast<uint64_t*>(a.malloc_fn(size));
    p[1] = 1;
    benchmark::DoNotOptimize(p);
    a.free_fn(p);
  }
  state.SetItemsProcessed(state.iterations());
}

// 256 allocations then 256 frees per iteration: a working set larger than one free-list head,
// closer to a store that fills and evicts. Time is per pair (items processed = pairs).
constexpr int kBatch = 256;

void BM_SlabBatch(benchmark::State& state) {
  auto& slab = Slab();
  const int cls = slab.classes().ClassFor(static_cast<size_t>(state.range(0)));
  kmd::memory::Ref refs[kBatch];
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      refs[i] = slab.Alloc(cls);
      static_cast<uint64_t*>(slab.Resolve(refs[i]))[1] = 1;
    }
    benchmark::ClobberMemory();
    for (int i = 0; i < kBatch; ++i) slab.Free(refs[i]);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_MallocBatch(benchmark::State& state, int which) {
  const Allocator& a = g_alloc[which];
  const size_t size = static_cast<size_t>(state.range(0));
  void* ptrs[kBatch];
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      ptrs[i] = a.malloc_fn(size);
      static_cast<uint64_t*>(ptrs[i])[1] = 1;
    }
    benchmark::ClobberMemory();
    for (int i = 0; i < kBatch; ++i) a.free_fn(ptrs[i]);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// One 1 MiB page from the source and back, touched once: the cost of growing the slab by a page
// (zeroing included: a reused page is cleared by the source).
void BM_PagePair(benchmark::State& state, PageSourceKind kind) {
  static std::unique_ptr<kmd::memory::PageSource> sources[4];
  auto& source = sources[static_cast<int>(kind)];
  if (!source) source = Source(kind, 4);
  for (auto _ : state) {
    auto* p = static_cast<char*>(source->Allocate());
    p[64] = 1;
    benchmark::DoNotOptimize(p);
    source->Free(p);
  }
  state.SetItemsProcessed(state.iterations());
}

// Resolve then RefOf of a random chunk among 16 pages of 144-byte chunks (116k chunks): what the
// store pays to map an item pointer back to its ref, per page source.
void BM_RefOf(benchmark::State& state, PageSourceKind kind) {
  auto& slab = Slab(kind);
  const int cls = slab.classes().ClassFor(144);
  static std::vector<kmd::memory::Ref> refs[4];
  auto& mine = refs[static_cast<int>(kind)];
  if (mine.empty()) {
    const uint32_t chunks = 16 * slab.classes().chunks_per_page(cls);
    for (uint32_t i = 0; i < chunks; ++i) mine.push_back(slab.Alloc(cls));
    std::shuffle(mine.begin(), mine.end(), std::mt19937(42));
    mine.resize(std::bit_floor(mine.size()));
  }
  const size_t mask = mine.size() - 1;
  size_t i = 0;
  for (auto _ : state) {
    const void* p = slab.Resolve(mine[i++ & mask]);
    benchmark::DoNotOptimize(slab.RefOf(p));
  }
  state.SetItemsProcessed(state.iterations());
}

// 144 B is the chunk of a 16-byte-key, 100-byte-value item; 1 KiB and 4 KiB cover larger values.
void Sizes(benchmark::internal::Benchmark* b) {
  b->Arg(144)->Arg(1024)->Arg(4096)->Threads(1)->Threads(2)->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  // The loader reads GLIBC_TUNABLES only at start-up, hence a re-exec rather than a setenv.
  using kmd::memory::ProcessAllocator;
  if (kmd::memory::CheckLaunch(ProcessAllocator::kSystem, PageSourceKind::kJemalloc).reexec) {
    Die(kmd::memory::ReExec(ProcessAllocator::kSystem, PageSourceKind::kJemalloc, argv));
  }
  g_alloc[0] = LoadGlibc();
  std::string error;
  const kmd::memory::JemallocApi* je = kmd::memory::LoadJemalloc(&error);
  if (je == nullptr) Die(error);
  g_alloc[1] = Baseline("jemalloc", je->malloc_fn, je->free_fn, je->version);
  const kmd::memory::MimallocApi* mi = kmd::memory::LoadMimalloc(&error);
  if (mi == nullptr) Die(error);
  g_alloc[2] = Baseline("mimalloc", mi->malloc_fn, mi->free_fn, std::to_string(mi->version));
  benchmark::RegisterBenchmark("pair/slab", BM_SlabPair, PageSourceKind::kArena)->Apply(Sizes);
  for (int i = 0; i < 3; ++i) {
    benchmark::RegisterBenchmark((std::string("pair/") + g_alloc[i].name).c_str(), BM_MallocPair, i)
        ->Apply(Sizes);
  }
  benchmark::RegisterBenchmark("batch256/slab", BM_SlabBatch)->Apply(Sizes);
  for (int i = 0; i < 3; ++i) {
    benchmark::RegisterBenchmark((std::string("batch256/") + g_alloc[i].name).c_str(),
                                 BM_MallocBatch, i)
        ->Apply(Sizes);
  }
  for (PageSourceKind k : kmd::memory::kAllPageSources) {
    const std::string name(kmd::memory::PageSourceName(k));
    if (k != PageSourceKind::kArena) {
      benchmark::RegisterBenchmark(("pair/slab-" + name).c_str(), BM_SlabPair, k)
          ->Arg(144)
          ->Threads(1)
          ->Threads(2)
          ->UseRealTime();
    }
    benchmark::RegisterBenchmark(("page/" + name).c_str(), BM_PagePair, k)->UseRealTime();
    benchmark::RegisterBenchmark(("refof/" + name).c_str(), BM_RefOf, k)->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
