// LruPolicy through the eviction-policy seam: victim order on hand-made sequences, hits, removal
// from the middle and ends, and the scan order used when the victim is pinned.
#include "core/cache/policy/lru_policy.h"

#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "core/cache/policy/eviction_policy.h"

namespace kmd::cache::policy {
namespace {

struct Items {
  std::array<PolicyLinks, 16> l{};
  std::array<uint8_t, 16> m{};
  PolicyLinks& links(uint32_t ref) { return l[ref]; }
  uint8_t meta(uint32_t ref) const { return m[ref]; }
  void set_meta(uint32_t ref, uint8_t v) { m[ref] = v; }
  uint64_t hash(uint32_t ref) const { return ref; }
};

static_assert(EvictionPolicy<LruPolicy, Items>);

std::vector<uint32_t> EvictionOrder(const LruPolicy& p, Items& items) {
  std::vector<uint32_t> order;
  for (uint32_t r = p.First(items); r != kNoItem; r = p.Next(r, items)) order.push_back(r);
  return order;
}

TEST_CASE("lru: the least recently inserted or hit item is the victim") {
  Items items;
  LruPolicy p;
  CHECK(p.empty());
  CHECK(p.Victim(items) == kNoItem);
  for (uint32_t r : {1u, 2u, 3u, 4u}) p.Insert(r, r, items);
  CHECK(EvictionOrder(p, items) == std::vector<uint32_t>{1, 2, 3, 4});
  p.Hit(1, 1, items);
  p.Hit(3, 3, items);
  CHECK(EvictionOrder(p, items) == std::vector<uint32_t>{2, 4, 1, 3});
  p.Hit(3, 3, items);  // already the most recent: no change
  CHECK(EvictionOrder(p, items) == std::vector<uint32_t>{2, 4, 1, 3});
}

TEST_CASE("lru: removal from the tail, the middle and the head keeps the list whole") {
  Items items;
  LruPolicy p;
  for (uint32_t r : {5u, 6u, 7u, 8u, 9u}) p.Insert(r, r, items);
  p.Remove(5, items);  // tail
  p.Remove(7, items);  // middle
  p.Remove(9, items);  // head
  CHECK(EvictionOrder(p, items) == std::vector<uint32_t>{6, 8});
  p.Remove(6, items);
  p.Remove(8, items);
  CHECK(p.empty());
  CHECK(p.Victim(items) == kNoItem);
  p.Insert(6, 6, items);  // reusable after emptying
  CHECK(EvictionOrder(p, items) == std::vector<uint32_t>{6});
}

}  // namespace
}  // namespace kmd::cache::policy
