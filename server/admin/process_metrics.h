// The process as a whole: resident memory, CPU time, and which version is running.
// Thread-safe (reads /proc and getrusage; no state).
#pragma once

#include <cstdint>

#include "core/base/counters.h"

namespace kmd::admin {

// Resident set size from /proc/self/statm; 0 when it cannot be read.
uint64_t ResidentBytes();

// process_resident_memory_bytes (= rss), process_{user,system}_cpu_seconds_total, version{...}.
void VisitProcess(uint64_t rss, base::CounterVisitor& visitor);

}  // namespace kmd::admin
