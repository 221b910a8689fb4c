// DebugLeak: the deliberate leak that debug.leak asks for, so the leak detector's tests have real
// call sites to find. Each request served pays what the configured rates owe since start-up, in
// one allocation per site (at most kMaxChunk bytes; kMinChunk bytes or more), never freed. The
// three sites are three distinct noinline functions with external linkage (LeakSiteA/B/C), so
// the allocation sampler sees three stacks and dladdr names them. The blocks stay reachable from
// one list head (so LeakSanitizer reports nothing at exit), but nothing ever frees them.
// Thread-safety: OnRequest from any worker thread (lock-free; a CAS per paid site).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "config/values.h"

namespace kmd::dispatch {

// The leaking functions (site a, b, c). Each allocates `bytes` with operator new[], touches them
// and links the block into the leak list.
[[gnu::noinline]] void LeakSiteA(size_t bytes);
[[gnu::noinline]] void LeakSiteB(size_t bytes);
[[gnu::noinline]] void LeakSiteC(size_t bytes);

class DebugLeak {
 public:
  static constexpr uint64_t kMinChunk = 64;
  static constexpr uint64_t kMaxChunk = 64 * 1024;

  explicit DebugLeak(const std::vector<config::LeakRate>& rates);
  void OnRequest();
  // Bytes leaked so far, all sites.
  uint64_t leaked() const;

 private:
  struct Site {
    void (*leak)(size_t) = nullptr;
    uint64_t bytes_per_second = 0;
    std::atomic<uint64_t> paid{0};
  };
  const std::chrono::steady_clock::time_point start_;
  std::array<Site, 3> sites_;
};

}  // namespace kmd::dispatch
