// SystemClock: CLOCK_REALTIME in seconds.
#include "core/base/clock.h"

#include <ctime>

namespace kmd::base {

int64_t SystemClock::NowSeconds() const {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return ts.tv_sec;
}

const SystemClock& SystemClock::Instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace kmd::base
