// MemoryJson: a MemorySnapshot as the JSON body of /debug/memory: the latest sample in full
// (kinds, malloc, page source, per-class slab use) and the history as one array per series
// (columnar: time_ms, rss and each kind), oldest first. Pure; thread-safe.
#pragma once

#include <string>

#include "core/profile/json_writer.h"
#include "core/profile/memory_sample.h"

namespace kmd::profile {

std::string MemoryJson(const MemorySnapshot& snapshot);
// Per-class slab use as a JSON array (also /debug/heap's item memory by slab class).
void ClassesJson(JsonWriter& j, const std::vector<cache::ClassStats>& classes);

}  // namespace kmd::profile
