// The daemon's global operator new / delete (every sized, aligned and nothrow form), on top of
// malloc / posix_memalign / free, counting bytes per thread for the allocation sampler
// (core/base/alloc_sample_hook.h). Linked into the kotoba-memd executable only: tests and tools
// keep the standard ones. Thread-safety: per-thread counters (trivial thread_locals, no TLS
// allocation); hooks are called with sampling suspended on the thread. Under ASan this file's
// definitions take precedence over the sanitizer's operator new, whose malloc still checks.
// Each operator new passes its own return address (the allocating code) to the hook, which
// drops the frames above it (this file's and the sampler's, however the build inlined them).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "core/base/alloc_sample_hook.h"

namespace {

using kmd::base::AllocSampleHooks;

thread_local int64_t t_bytes_left = 0;  // until the next sample on this thread
thread_local uint64_t t_rng = 0;        // xorshift64 state; 0: this thread is not yet seeded

[[maybe_unused]] const bool kInterposed = (kmd::base::g_alloc_interposed.store(true), true);

uint64_t NextRandom() {
  uint64_t x = t_rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return t_rng = x;
}

// An exponentially distributed byte interval of mean `mean` (Poisson sampling over bytes).
int64_t DrawInterval(uint64_t mean) {
  if (mean == 0) return INT64_MAX / 2;
  const double u = (static_cast<double>(NextRandom() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
  return static_cast<int64_t>(-std::log(u) * static_cast<double>(mean)) + 1;
}

[[gnu::noinline]] void SampleSlow(void* ptr, size_t size, const AllocSampleHooks* hooks,
                                  void* caller) {
  const uint64_t mean = kmd::base::SampleInterval();
  if (t_rng == 0) {  // first allocation of this thread: seed, start counting, do not sample
    t_rng = (reinterpret_cast<uintptr_t>(&t_rng) * 0x9E3779B97F4A7C15ull) | 1;
    t_bytes_left = DrawInterval(mean);
    return;
  }
  t_bytes_left = DrawInterval(mean);
  if (kmd::base::t_alloc_sampling_paused || mean == 0 || hooks->on_sample == nullptr) return;
  // tcmalloc's unbiased weight: P(sampled) = 1 - exp(-size / mean).
  const double x = static_cast<double>(size) / static_cast<double>(mean);
  const double weight = static_cast<double>(size) / -std::expm1(-x);
  const kmd::base::ScopedAllocSamplingPause pause;
  hooks->on_sample(ptr, size, static_cast<size_t>(weight), caller);
}

[[gnu::always_inline]] inline void* Counted(void* ptr, size_t size, void* caller) {
  const AllocSampleHooks* hooks = kmd::base::LoadAllocSampleHooks();
  if (hooks == nullptr || ptr == nullptr) return ptr;
  t_bytes_left -= static_cast<int64_t>(size);
  if (t_bytes_left <= 0) SampleSlow(ptr, size, hooks, caller);
  return ptr;
}

[[gnu::noinline]] void FreeSlow(void* ptr) {
  const AllocSampleHooks* hooks = kmd::base::LoadAllocSampleHooks();
  if (hooks == nullptr || hooks->on_free == nullptr) return;
  if (kmd::base::t_alloc_sampling_paused) return;
  const kmd::base::ScopedAllocSamplingPause pause;
  hooks->on_free(ptr);
}

[[gnu::always_inline]] inline void Release(void* ptr) {
  if (ptr == nullptr) return;
  if (kmd::base::g_sampled_pointers.MayContain(ptr)) FreeSlow(ptr);
  std::free(ptr);
}

void* AllocOrNull(size_t size) { return std::malloc(size == 0 ? 1 : size); }

void* AlignedOrNull(size_t size, std::align_val_t align) {
  void* p = nullptr;
  size_t a = static_cast<size_t>(align);
  if (a < sizeof(void*)) a = sizeof(void*);
  return posix_memalign(&p, a, size == 0 ? 1 : size) == 0 ? p : nullptr;
}

// The standard's loop: call the new-handler until memory comes or there is none.
template <class Alloc>
void* AllocOrThrow(Alloc alloc) {
  for (;;) {
    if (void* p = alloc()) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

}  // namespace

// In each operator new's own body, so that it is that function's return address.
#define KMD_COUNTED(ptr, size) Counted(ptr, size, __builtin_return_address(0))

void* operator new(size_t n) {
  return KMD_COUNTED(AllocOrThrow([n] { return AllocOrNull(n); }), n);
}
void* operator new[](size_t n) {
  return KMD_COUNTED(AllocOrThrow([n] { return AllocOrNull(n); }), n);
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return KMD_COUNTED(AllocOrNull(n), n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return KMD_COUNTED(AllocOrNull(n), n);
}
void* operator new(size_t n, std::align_val_t a) {
  return KMD_COUNTED(AllocOrThrow([n, a] { return AlignedOrNull(n, a); }), n);
}
void* operator new[](size_t n, std::align_val_t a) {
  return KMD_COUNTED(AllocOrThrow([n, a] { return AlignedOrNull(n, a); }), n);
}
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return KMD_COUNTED(AlignedOrNull(n, a), n);
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return KMD_COUNTED(AlignedOrNull(n, a), n);
}

void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, size_t) noexcept { Release(p); }
void operator delete[](void* p, size_t) noexcept { Release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { Release(p); }
