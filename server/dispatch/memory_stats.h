// `stats memory`: the memory monitor's latest sample as STAT lines (RSS, each kind as
// <kind>_bytes, mallinfo2, page source, samples held). Thread-safe (the monitor is).
#pragma once

#include "core/profile/memory_monitor.h"
#include "server/dispatch/dispatch_context.h"

namespace kmd::dispatch {

// `monitor` null (profile.enabled: false): one line, `enabled 0`.
void MemoryStats(const profile::MemoryMonitor* monitor, StatLines* out);

}  // namespace kmd::dispatch
