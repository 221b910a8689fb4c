// MemoryJson: a MemorySnapshot as the JSON body of /debug/memory: the latest sample in full
// (kinds, malloc, page source, per-class slab use) and the history as one array per series
// (columnar: time_ms, rss and each kind), oldest first. Pure; thread-safe.
#pragma once

#include <string>

#include "core/profile/memory_sample.h"

namespace kmd::profile {

std::string MemoryJson(const MemorySnapshot& snapshot);

}  // namespace kmd::profile
