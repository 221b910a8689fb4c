// ManualClock: a base::Clock that tests move by hand (TTL, flush delay, LRU age).
// Thread-safety: NowSeconds/Set/Advance are atomic and may be called from any thread.
// Starts at a fixed recent Unix time so that absolute exptimes (> 30 days) behave as in production.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/base/clock.h"

namespace kmd::test {

class ManualClock final : public base::Clock {
 public:
  static constexpr int64_t kDefaultStart = 1'700'000'000;  // 2023-11-14
  explicit ManualClock(int64_t start = kDefaultStart) : now_(start) {}
  int64_t NowSeconds() const override { return now_.load(std::memory_order_relaxed); }
  void Set(int64_t seconds) { now_.store(seconds, std::memory_order_relaxed); }
  void Advance(int64_t seconds) { now_.fetch_add(seconds, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace kmd::test
