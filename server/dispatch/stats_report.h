// memcached's stats groups as (name, value) lines, shared by the text `stats` command and the
// binary Stat opcode so both report identical figures.
// Groups: "" (general), "settings", "items", "slabs", "sizes", "conns" (empty), "reset", and
// ours: "memory" (the memory monitor's latest sample, memory_stats.h).
#pragma once

#include <string_view>

#include "server/dispatch/dispatch_context.h"

namespace kmd::dispatch {

enum class StatsGroupStatus { kOk, kUnknown, kReset };

// Appends the lines of `group` to `out`. kUnknown: not a group memcached knows.
StatsGroupStatus CollectStats(std::string_view group, DispatchContext& ctx, StatLines* out);

}  // namespace kmd::dispatch
