// The process as a whole: resident memory, CPU time, and which version is running.
// Thread-safe (reads /proc and getrusage; no state).
#pragma once

#include <cstdint>

#include "core/base/counters.h"

namespace kmd::admin {

// process_resident_memory_bytes (= rss, from profile::ResidentBytes()),
// process_{user,system}_cpu_seconds_total, version{...}.
void VisitProcess(uint64_t rss, base::CounterVisitor& visitor);

}  // namespace kmd::admin
