// The RSS controller's decision (memory.rss_limit): a pure function from one sample (RSS, limit,
// item budget, what the shrinkers hold) and the carried state to the actions of one tick. No
// clock, no locks, no I/O, so every rule is unit-tested without threads; executor/ acts on it.
// Rules, with L = the limit: above rules.high * L, shrink toward rules.target * L: first the
// shrinkers (buffer pools, connection copies), then purge, then lower the item budget (from what
// it uses, so the cut bites; less what is already on its way out: pages above the budget that
// readers still pin) by at most max_step per tick down to the floor; at or above L,
// refuse new stalled-reader copies (admission). Below rules.low * L for calm_to_grow samples in a
// row, raise the budget by at most max_step (never past -m or the room below low * L). Between
// low and high nothing changes: the band is the hysteresis that keeps it from oscillating.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace kmd::reclaim {

enum class RssState : uint8_t {
  kOff,        // no limit configured
  kOk,         // under the limit, item budget at -m
  kHolding,    // in the band, item budget below -m
  kGrowing,    // room below the band: item budget raised this tick
  kShrinking,  // above rules.high * L: reclaiming
  kOver,       // at or above L: reclaiming, copies refused
};
std::string_view RssStateName(RssState s);

struct RssRules {
  double high = 0.95;
  double target = 0.90;
  double low = 0.85;
  uint32_t calm_to_grow = 10;      // samples below low before each raise
  uint64_t max_step = 8ull << 20;  // item budget change per tick, bytes
  uint64_t purge_every_ms = 500;   // purges at most this often
  std::chrono::milliseconds interval{100};
  std::chrono::milliseconds fast_interval{25};  // above target * L
};

struct RssInputs {
  uint64_t rss = 0;
  uint64_t limit = 0;            // 0: off
  uint64_t item_budget = 0;      // effective item budget now
  uint64_t item_used = 0;        // what the store's pages and index use now (above item_budget
                                 // while pages wait for readers to let go)
  uint64_t item_budget_max = 0;  // -m
  uint64_t item_budget_min = 0;  // floor the controller never goes below
  uint64_t shrinkable = 0;       // bytes the registered shrinkers hold
  uint64_t ms_since_purge = 0;
  uint32_t calm_samples = 0;  // carried from the previous tick's RssActions
};

struct RssActions {
  RssState state = RssState::kOff;
  uint64_t shrink_consumers = 0;  // bytes to ask the shrinkers for
  bool purge = false;             // page source purge + process malloc trim
  uint64_t item_budget = 0;       // the budget to set (== inputs.item_budget: unchanged)
  bool refuse_copies = false;     // admission: no new stalled-reader output copies
  uint32_t calm_samples = 0;      // carry into the next tick
  std::chrono::milliseconds next_sample{100};
};

RssActions DecideRss(const RssInputs& in, const RssRules& rules = {});

}  // namespace kmd::reclaim
