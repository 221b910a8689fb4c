// MemorySvg: the history of a MemorySnapshot as a self-contained SVG plot of memory by kind over
// time (stacked areas, one <path class="kind" data-kind=NAME> per kind, RSS as a line on top),
// with labelled axes (age before the newest sample in s, min or h; MiB) and a legend. Pure;
// thread-safe.
#pragma once

#include <string>

#include "core/profile/memory_sample.h"

namespace kmd::profile {

std::string MemorySvg(const MemorySnapshot& snapshot);

}  // namespace kmd::profile
