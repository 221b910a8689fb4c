// `stats memory`: the memory monitor's latest sample as STAT lines (RSS, each kind as
// <kind>_bytes, mallinfo2, page source, samples held), and the buffer accounting that feeds the
// split's buffers and pools kinds. Thread-safe (the monitor and the pools' figures are).
#pragma once

#include "core/profile/memory_monitor.h"
#include "server/dispatch/dispatch_context.h"

namespace kmd::dispatch {

// `monitor` null (profile.enabled: false): one line, `enabled 0`.
void MemoryStats(const profile::MemoryMonitor* monitor, StatLines* out);

// The memory split's kinds outside the budget, from the workers' buffer pools: `buffers` is what
// connections and batch arenas hold, `pools` the idle buffers kept for reuse. Any thread.
cache::OutsideBudget BufferAccounting(const net::ServerCounters& counters);

}  // namespace kmd::dispatch
