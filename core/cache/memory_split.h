// MemorySplit: the one definition of how the daemon's memory divides by kind (DESIGN.md "Memory"):
// the budget's kinds from a StoreStats snapshot, the buffers and pools that sit outside the budget
// (given by whoever owns them), plus what RSS holds beyond them all (unaccounted).
// /metrics (memory_bytes{kind}), the profiler's monitor and `stats memory` all derive from here.
// Pure values and functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/cache/store.h"

namespace kmd::cache {

// Accounted memory outside the budget (-m), inside memory.rss_limit: connection buffers and batch
// arenas in use, and idle buffers the workers' pools keep for reuse.
struct OutsideBudget {
  uint64_t buffers = 0;
  uint64_t pools = 0;
};

struct MemorySplit {
  // The budget's kinds: together they are StoreStats::budget_used().
  uint64_t payload = 0;        // key + value bytes of live items
  uint64_t item_metadata = 0;  // item headers of live items
  uint64_t slab_slack = 0;     // chunk bytes beyond header + key + value
  uint64_t slab_free = 0;      // page bytes in no live item's chunk (free chunks, page tails)
  uint64_t index = 0;          // hash index
  uint64_t policy = 0;         // eviction-policy metadata beyond the item headers
  // Outside the budget.
  uint64_t buffers = 0;      // connection buffers and batch arenas in use
  uint64_t pools = 0;        // idle pooled buffers
  uint64_t unaccounted = 0;  // RSS beyond every accounted kind (0 when RSS is below them)

  static constexpr size_t kKinds = 9;
  static constexpr size_t kBudgetKinds = 6;  // the first six
  // The kinds as memory_bytes{kind} names them, in this order (unaccounted last).
  static constexpr std::array<std::string_view, kKinds> kNames = {
      "payload", "item_metadata", "slab_slack", "slab_free",  "index",
      "policy",  "buffers",       "pools",      "unaccounted"};
  std::array<uint64_t, kKinds> values() const {
    return {payload, item_metadata, slab_slack, slab_free,  index,
            policy,  buffers,       pools,      unaccounted};
  }
  uint64_t budget() const {
    return payload + item_metadata + slab_slack + slab_free + index + policy;
  }
  uint64_t accounted() const { return budget() + buffers + pools; }
};

// RSS minus the accounted bytes; RSS below them (budget pages not yet touched) is 0.
inline uint64_t UnaccountedBytes(uint64_t rss, uint64_t accounted) {
  return rss > accounted ? rss - accounted : 0;
}

// The budget's kinds of `stats`, the `outside` ones, and `unaccounted` from `rss` (pass 0 to
// leave it 0).
MemorySplit SplitMemory(const StoreStats& stats, uint64_t rss, const OutsideBudget& outside = {});

}  // namespace kmd::cache
