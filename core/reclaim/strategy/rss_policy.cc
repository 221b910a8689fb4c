// DecideRss: see rss_policy.h for the rules. Pure.
#include "core/reclaim/strategy/rss_policy.h"

#include <algorithm>

namespace kmd::reclaim {

std::string_view RssStateName(RssState s) {
  // Indexed by RssState.
  constexpr std::string_view kNames[] = {"off", "ok", "holding", "growing", "shrinking", "over"};
  return kNames[static_cast<int>(s)];
}

namespace {
uint64_t Fraction(uint64_t limit, double f) {
  return static_cast<uint64_t>(static_cast<double>(limit) * f);
}
}  // namespace

RssActions DecideRss(const RssInputs& in, const RssRules& rules) {
  RssActions out;
  out.item_budget = in.item_budget;
  out.next_sample = rules.interval;
  if (in.limit == 0) return out;
  const uint64_t high = Fraction(in.limit, rules.high);
  const uint64_t target = Fraction(in.limit, rules.target);
  const uint64_t low = Fraction(in.limit, rules.low);
  out.refuse_copies = in.rss >= in.limit;
  if (in.rss > target) out.next_sample = rules.fast_interval;
  if (in.rss > high) {
    out.state = out.refuse_copies ? RssState::kOver : RssState::kShrinking;
    const uint64_t excess = in.rss - target;
    out.shrink_consumers = std::min(excess, in.shrinkable);
    out.purge = in.ms_since_purge >= rules.purge_every_ms;
    // Pages above the budget are still on their way out (readers pin them): that much of the
    // excess is already being reclaimed, so it is not cut again.
    const uint64_t in_flight = in.item_used > in.item_budget ? in.item_used - in.item_budget : 0;
    const uint64_t rest = excess - out.shrink_consumers;
    if (rest > in_flight) {
      // Cut from what is in use: lowering an unused budget would free nothing.
      const uint64_t from = std::min(in.item_budget, in.item_used);
      const uint64_t cut = std::min(rest - in_flight, rules.max_step);
      const uint64_t want = from > cut ? from - cut : 0;
      out.item_budget =
          std::clamp(want, std::min(in.item_budget_min, in.item_budget), in.item_budget);
    }
    return out;
  }
  if (in.rss < low) {
    out.calm_samples = in.calm_samples + 1;
    if (out.calm_samples >= rules.calm_to_grow && in.item_budget < in.item_budget_max) {
      const uint64_t grow =
          std::min({rules.max_step, low - in.rss, in.item_budget_max - in.item_budget});
      out.item_budget = in.item_budget + grow;
      out.calm_samples = 0;
      out.state = RssState::kGrowing;
      return out;
    }
  }
  out.state = in.item_budget < in.item_budget_max ? RssState::kHolding : RssState::kOk;
  return out;
}

}  // namespace kmd::reclaim
