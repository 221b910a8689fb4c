// Allocate+free pair cost: core/memory's SlabAllocator against glibc malloc, jemalloc and mimalloc,
// in one binary, on 1 and 2 threads. jemalloc and mimalloc are dlopen'ed RTLD_LOCAL and called
// through dlsym: linking either would replace glibc's malloc for the whole process (both export
// `malloc`), so every baseline would measure the same allocator. The binary proves what it
// loaded (library path from dladdr, jemalloc's mallctl "version", mi_version) in its context
// header and aborts if a baseline resolves to glibc's symbol. Both libraries use initial-exec TLS,
// which dlopen can place only in glibc's static TLS surplus, so main() re-executes itself once
// with GLIBC_TUNABLES=glibc.rtld.optional_static_tls raised.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/memory/slab_allocator.h"

namespace {

using MallocFn = void* (*)(size_t);
using FreeFn = void (*)(void*);

struct Allocator {
  const char* name = nullptr;
  MallocFn malloc_fn = nullptr;
  FreeFn free_fn = nullptr;
};

// Where a function pointer lives, so the context header shows which library each baseline hits.
std::string LibraryOf(const void* fn) {
  Dl_info info{};
  if (dladdr(fn, &info) == 0 || info.dli_fname == nullptr) return "?";
  return info.dli_fname;
}

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

Allocator LoadDl(const char* name, const char* soname, const char* malloc_sym,
                 const char* free_sym) {
  void* h = dlopen(soname, RTLD_LOCAL | RTLD_NOW);
  if (h == nullptr) Die(std::string("dlopen ") + soname + ": " + dlerror());
  Allocator a{name, reinterpret_cast<MallocFn>(dlsym(h, malloc_sym)),
              reinterpret_cast<FreeFn>(dlsym(h, free_sym))};
  if (a.malloc_fn == nullptr || a.free_fn == nullptr) Die(std::string("dlsym in ") + soname);
  if (reinterpret_cast<void*>(a.malloc_fn) == reinterpret_cast<void*>(&::malloc)) {
    Die(std::string(name) + " resolved to the process's malloc, not its own");
  }
  std::string version = "?";
  if (std::string(name) == "jemalloc") {
    using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
    auto mallctl = reinterpret_cast<Mallctl>(dlsym(h, "mallctl"));
    const char* v = nullptr;
    size_t len = sizeof(v);
    if (mallctl == nullptr || mallctl("version", &v, &len, nullptr, 0) != 0)
      Die("jemalloc mallctl");
    version = v;
  } else {
    using MiVersion = int (*)();
    auto mi_version = reinterpret_cast<MiVersion>(dlsym(h, "mi_version"));
    if (mi_version == nullptr) Die("mimalloc mi_version");
    version = std::to_string(mi_version());
  }
  benchmark::AddCustomContext(name, version + " (" + malloc_sym + " in " +
                                        LibraryOf(reinterpret_cast<void*>(a.malloc_fn)) + ")");
  return a;
}

Allocator g_alloc[3];

kmd::memory::SlabAllocator& Slab() {
  // 256 MiB of budget; the region is reserved, and only pages that are carved cost memory.
  static kmd::memory::SlabAllocator slab(256u << 20, 1u << 20);
  return slab;
}

// One pair per iteration: the free list (or thread cache) is hot, the steady state of a cache
// that replaces an item of the same size. The block is touched like a caller would.
void BM_SlabPair(benchmark::State& state) {
  auto& slab = Slab();
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

// 144 B is the chunk of a 16-byte-key, 100-byte-value item; 1 KiB and 4 KiB cover larger values.
void Sizes(benchmark::internal::Benchmark* b) {
  b->Arg(144)->Arg(1024)->Arg(4096)->Threads(1)->Threads(2)->UseRealTime();
}

}  // namespace

// The loader reads GLIBC_TUNABLES only at start-up, hence a re-exec rather than a setenv.
void EnsureStaticTlsSurplus(char** argv) {
  constexpr const char* kTunable = "glibc.rtld.optional_static_tls=65536";
  const char* have = std::getenv("GLIBC_TUNABLES");
  if (have != nullptr && std::string(have).find("optional_static_tls") != std::string::npos) return;
  std::string value =
      have != nullptr && *have != '\0' ? std::string(have) + ":" + kTunable : std::string(kTunable);
  setenv("GLIBC_TUNABLES", value.c_str(), 1);
  execv("/proc/self/exe", argv);
  Die(std::string("re-exec with GLIBC_TUNABLES failed"));
}

int main(int argc, char** argv) {
  EnsureStaticTlsSurplus(argv);
  g_alloc[0] = LoadGlibc();
  g_alloc[1] = LoadDl("jemalloc", "libjemalloc.so.2", "malloc", "free");
  g_alloc[2] = LoadDl("mimalloc", "libmimalloc.so.2", "mi_malloc", "mi_free");
  benchmark::RegisterBenchmark("pair/slab", BM_SlabPair)->Apply(Sizes);
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
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
