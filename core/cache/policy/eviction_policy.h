// The eviction policy seam: what the Store asks of a policy, and the per-item state a policy may
// keep. One policy object per shard per slab class, used only under that shard's lock.
// Items are named by 32-bit refs (core/memory); each item header lends its policy 8 bytes
// (PolicyLinks) that a `links(ref)` callable returns, so a policy adds no per-item allocation.
// Static polymorphism (a concept, not virtual calls): the request path pays no indirect call.
// Implementations: lru_policy.h. The policies of the later eviction issue plug in here.
#pragma once

#include <concepts>
#include <cstdint>

namespace kmd::cache::policy {

inline constexpr uint32_t kNoItem = 0xFFFFFFFFu;

// The 8 bytes of per-item policy state in the item header (an LRU keeps its list links here).
struct __attribute__((packed)) PolicyLinks {
  uint32_t prev = kNoItem;
  uint32_t next = kNoItem;
};
static_assert(sizeof(PolicyLinks) == 8, "policy state is part of the item header budget");

// `Links` is a callable uint32_t ref -> PolicyLinks&.
template <class P, class Links>
concept EvictionPolicy = requires(P p, const P cp, uint32_t ref, Links links) {
  p.Insert(ref, links);  // a new item was linked into the cache
  p.Hit(ref, links);     // the item was read or rewritten in place (a bump)
  p.Remove(ref, links);  // the item leaves the cache (delete, replace, expiry, eviction)
  { cp.Victim() } -> std::same_as<uint32_t>;  // the item to evict first, kNoItem when empty
  // The candidate after `ref` in eviction order (when `ref` is pinned), kNoItem after the last.
  { cp.Next(ref, links) } -> std::same_as<uint32_t>;
  { cp.empty() } -> std::same_as<bool>;
};

}  // namespace kmd::cache::policy
