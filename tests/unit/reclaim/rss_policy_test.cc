// DecideRss (core/reclaim/strategy/rss_policy.h): the decision table without threads or clocks.
#include "core/reclaim/strategy/rss_policy.h"

#include <doctest/doctest.h>

namespace kmd::reclaim {
namespace {

constexpr uint64_t kMiB = 1u << 20;

// -m 192, limit 256 MiB, budget at -m and fully used, nothing shrinkable.
RssInputs At(uint64_t rss_mib) {
  RssInputs in;
  in.rss = rss_mib * kMiB;
  in.limit = 256 * kMiB;
  in.item_budget = in.item_used = in.item_budget_max = 192 * kMiB;
  in.item_budget_min = 48 * kMiB;
  in.ms_since_purge = 10'000;
  return in;
}

TEST_CASE("off: no limit, no action") {
  RssInputs in = At(900);
  in.limit = 0;
  const RssActions a = DecideRss(in);
  CHECK(a.state == RssState::kOff);
  CHECK(a.item_budget == in.item_budget);
  CHECK_FALSE(a.purge);
  CHECK_FALSE(a.refuse_copies);
  CHECK(a.shrink_consumers == 0);
  CHECK(RssStateName(a.state) == "off");
}

TEST_CASE("under the band's top with the budget at -m: ok, nothing to do") {
  const RssActions a = DecideRss(At(240));  // 93.75%: between low and high
  CHECK(a.state == RssState::kOk);
  CHECK(a.item_budget == 192 * kMiB);
  CHECK_FALSE(a.purge);
  CHECK(a.next_sample == RssRules{}.fast_interval);  // above target: sampled faster
  CHECK(DecideRss(At(100)).next_sample == RssRules{}.interval);
}

TEST_CASE("above high: shrinkers first, then purge, then the item budget, in bounded steps") {
  RssInputs in = At(250);  // 97.7%: 19.6 MiB over the 90% target
  in.shrinkable = 5 * kMiB;
  const RssActions a = DecideRss(in);
  CHECK(a.state == RssState::kShrinking);
  CHECK(a.shrink_consumers == 5 * kMiB);
  CHECK(a.purge);
  CHECK_FALSE(a.refuse_copies);
  // The rest comes from the item budget, at most max_step per tick.
  CHECK(a.item_budget == 192 * kMiB - RssRules{}.max_step);
  // Enough in the shrinkers: the item budget is left alone.
  in.shrinkable = 100 * kMiB;
  const RssActions b = DecideRss(in);
  CHECK(b.shrink_consumers == in.rss - static_cast<uint64_t>(256 * kMiB * 0.90));
  CHECK(b.item_budget == 192 * kMiB);
  // A purge a moment ago is not repeated.
  in.ms_since_purge = 100;
  CHECK_FALSE(DecideRss(in).purge);
}

TEST_CASE("the cut starts from what the store uses, never below the floor") {
  RssInputs in = At(255);
  in.item_used = 60 * kMiB;  // budget 192 MiB but only 60 used: cutting 192 would free nothing
  CHECK(DecideRss(in).item_budget == 60 * kMiB - RssRules{}.max_step);
  in.item_used = 50 * kMiB;
  CHECK(DecideRss(in).item_budget == 48 * kMiB);  // the floor
  in.item_budget = in.item_used = 48 * kMiB;
  CHECK(DecideRss(in).item_budget == 48 * kMiB);
}

TEST_CASE("a cut still on its way out is not cut again") {
  RssInputs in = At(250);  // 19.6 MiB over the target
  in.item_budget = 180 * kMiB;
  in.item_used = 192 * kMiB;  // 12 MiB of pages above the budget wait for readers
  // 19.6 - 12 = 7.6 MiB more to cut, under max_step.
  const uint64_t excess = in.rss - static_cast<uint64_t>(256 * kMiB * 0.90);
  CHECK(DecideRss(in).item_budget == 180 * kMiB - (excess - 12 * kMiB));
  in.item_used = 200 * kMiB;  // more than the excess already in flight: no further cut
  const RssActions a = DecideRss(in);
  CHECK(a.item_budget == 180 * kMiB);
  CHECK(a.state == RssState::kShrinking);
  CHECK(a.purge);
}

TEST_CASE("at or over the limit: over, and stalled-reader copies are refused") {
  const RssActions a = DecideRss(At(256));
  CHECK(a.state == RssState::kOver);
  CHECK(a.refuse_copies);
  CHECK(a.item_budget < 192 * kMiB);
  CHECK_FALSE(DecideRss(At(255)).refuse_copies);
}

TEST_CASE("room: the budget grows only after calm_to_grow calm samples in a row") {
  RssInputs in = At(150);  // well below 85%
  in.item_budget = in.item_used = 100 * kMiB;
  const RssRules rules;
  for (uint32_t i = 1; i < rules.calm_to_grow; ++i) {
    const RssActions a = DecideRss(in, rules);
    CHECK(a.state == RssState::kHolding);
    CHECK(a.item_budget == 100 * kMiB);
    CHECK(a.calm_samples == i);
    in.calm_samples = a.calm_samples;
  }
  const RssActions grow = DecideRss(in, rules);
  CHECK(grow.state == RssState::kGrowing);
  CHECK(grow.item_budget == 100 * kMiB + rules.max_step);
  CHECK(grow.calm_samples == 0);
  // Never more than the room below low, never past -m.
  in.rss = static_cast<uint64_t>(256 * kMiB * 0.85) - kMiB;
  CHECK(DecideRss(in, rules).item_budget == 101 * kMiB);
  in.rss = 10 * kMiB;
  in.item_budget = 190 * kMiB;
  CHECK(DecideRss(in, rules).item_budget == 192 * kMiB);
}

TEST_CASE("hysteresis: one sample in the band resets the calm count") {
  RssInputs in = At(150);
  in.item_budget = in.item_used = 100 * kMiB;
  in.calm_samples = RssRules{}.calm_to_grow - 1;
  in.rss = 230 * kMiB;  // in the band (85%..95%)
  const RssActions a = DecideRss(in);
  CHECK(a.state == RssState::kHolding);
  CHECK(a.calm_samples == 0);
  CHECK(a.item_budget == 100 * kMiB);
}

}  // namespace
}  // namespace kmd::reclaim
