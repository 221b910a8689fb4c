// Injectable wall clock in whole seconds (what memcached's TTL rules need).
// Thread-safety: implementations must be safe to call from any thread.
// Tests inject tests/support ManualClock; production uses SystemClock.
#pragma once

#include <cstdint>

namespace kmd::base {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch.
  virtual int64_t NowSeconds() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowSeconds() const override;
  static const SystemClock& Instance();
};

}  // namespace kmd::base
