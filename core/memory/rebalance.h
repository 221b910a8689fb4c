// Page-move decisions: which class gives up a page, and which of its pages. Pure functions over a
// snapshot (no locks, no clock), so that the on-demand mover in core/cache and the later
// background rebalancer (core/reclaim) share one tested policy; the mechanism lives in
// SlabAllocator (BeginDrain/FinishDrain) and in the store, which evicts a page's items.
// Thread-safety: pure; the snapshot is the caller's.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/memory/slab_allocator.h"

namespace kmd::memory {

// One slab class as the mover sees it.
struct ClassSnapshot {
  uint32_t pages = 0;
  uint64_t items = 0;     // live items (the store's count, summed over shards)
  int64_t tail_age = -1;  // seconds since last access of the oldest LRU tail seen; -1 = none seen
};

struct RebalanceRules {
  // A receiver that can still evict its own items takes a page only from a class whose oldest item
  // is this much older than its own (memcached's automove compares tail ages the same way) ...
  double age_ratio = 2.0;
  // ... and at least this many seconds older, so that equal-aged classes never trade pages.
  int64_t min_age_gap = 2;
};

// The class that should give a page to `receiver`, or -1. Rules:
// - never the receiver itself, never `excluded_class` (the allocator's largest class: its chunks
//   hold chained items whose continuation chunks cannot be traced back to their item);
// - a donor keeps its last page if it holds items (a class in use is never emptied);
// - `starved` (the receiver has nothing of its own to evict): any eligible class may give; an
//   empty class first (no evictions needed), then the oldest tail, then the most pages;
// - otherwise only a class whose tail is older than the receiver's by age_ratio and min_age_gap
//   (oldest first, then most pages): pages follow the value-size mix without trading back and
//   forth between classes of similar age.
int ChooseDonorClass(std::span<const ClassSnapshot> classes, int receiver, bool starved,
                     int excluded_class, const RebalanceRules& rules = {});

// The page of a donor to empty, or -1: not draining, not in `skip` (pages found pinned), fewest
// chunks in use (fewest evictions), a page still being carved only if nothing else is left.
int64_t ChooseVictimPage(std::span<const PageSnapshot> pages, std::span<const uint32_t> skip);

}  // namespace kmd::memory
