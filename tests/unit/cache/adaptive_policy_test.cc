// AdaptivePolicy and its controller: fixed kinds behave as the policy they name; the controller's
// sampling is spatial (a key is always or never sampled); the shadows follow the live size; the
// switch rule needs a lead held over `confirm` windows; a switch rebuilds the live policy with
// every resident item kept.
#include "core/cache/policy/adaptive_policy.h"

#include <doctest/doctest.h>

#include <set>

#include "core/cache/policy/key_cache.h"

namespace kmd::cache::policy {
namespace {

TEST_CASE("adaptive: a fixed kind is that policy, with no controller") {
  AdaptivePolicy p(PolicyKind::kLru);
  CHECK(p.controller() == nullptr);
  CHECK(std::string(p.name()) == "lru");
  CHECK(p.live_kind() == PolicyKind::kLru);
}

TEST_CASE("adaptive: sampling is by key hash, so a key is always or never sampled") {
  AdaptiveController c;
  c.SetResident(1'000'000);  // far more than the shadows hold: the rate must drop
  for (uint64_t k = 0; k < 2000; ++k) {
    const uint64_t h = Mix64(k);
    if (c.Sampled(h)) c.Observe(h);
  }
  const AdaptiveStats st = c.Stats();
  CHECK(st.sample_rate < 0.05);
  CHECK(st.sample_rate > 0.0);
  CHECK(st.shadow_capacity <= 2 * AdaptiveOptions{}.shadow_objects);
  for (uint64_t k = 0; k < 1000; ++k) CHECK(c.Sampled(Mix64(k)) == c.Sampled(Mix64(k)));
}

TEST_CASE("adaptive: switching rebuilds the live policy and keeps every resident item") {
  AdaptiveOptions opts;
  opts.candidates = {PolicyKind::kLru, PolicyKind::kFifo};
  opts.initial = PolicyKind::kFifo;
  opts.confirm = 1;
  KeyCache<AdaptivePolicy> cache(100, false, PolicyKind::kAdaptive, nullptr, opts);
  // A hot set of 50 keys, each re-read every 100 accesses, between one-off cold keys: LRU keeps
  // the hot set (99 distinct keys between two reads of one), FIFO pushes it out every 100
  // inserts regardless, so the shadows must show LRU ahead and the live policy must follow.
  uint64_t cold = 1000;
  for (int i = 0; i < 40000; ++i) {
    cache.Access(static_cast<uint64_t>(i % 50));
    cache.Access(cold++);
  }
  AdaptivePolicy& p = cache.policy();
  CHECK(p.live_kind() == PolicyKind::kLru);
  CHECK(p.controller()->Stats().switches >= 1);
  // Every resident key is enumerated exactly once after the rebuild.
  auto v = cache.view();
  std::set<uint32_t> seen;
  for (uint32_t r = p.First(v); r != kNoItem; r = p.Next(r, v)) CHECK(seen.insert(r).second);
  CHECK(seen.size() == cache.resident());
  CHECK(cache.resident() == 100);
}

}  // namespace
}  // namespace kmd::cache::policy
