// The eviction policy seam: what the Store (and bench/sim, through the very same classes) asks of
// a policy, and the per-item state a policy may keep. One policy object per shard per slab class
// in the daemon, used only under that shard's lock; one object per simulated cache in kmd-sim.
// Items are named by 32-bit refs. Each item lends its policy 8 bytes (PolicyLinks) plus 4 bits
// (meta, 0..15) through an ItemView, so a policy adds no per-item allocation; structures a policy
// owns beyond that (sketches, ghost filters) are reported by MetadataBytes().
// Static polymorphism (a concept, not virtual calls): the request path pays no indirect call.
// Implementations: lru, fifo, lfu, sieve, s3fifo, wtinylfu (one header each) and adaptive.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>

namespace kmd::cache::policy {

inline constexpr uint32_t kNoItem = 0xFFFFFFFFu;
inline constexpr uint8_t kMetaMask = 0x0F;  // a policy's per-item meta holds 4 bits

// The 8 bytes of per-item list state in the item header.
struct __attribute__((packed)) PolicyLinks {
  uint32_t prev = kNoItem;
  uint32_t next = kNoItem;
};
static_assert(sizeof(PolicyLinks) == 8, "policy state is part of the item header budget");

// A policy's window onto the items it orders. hash(ref) is the key's 64-bit hash (the store
// recomputes it from the key: call it only when deciding a victim, not per hit).
template <class V>
concept ItemView = requires(V v, uint32_t ref, uint8_t m) {
  { v.links(ref) } -> std::same_as<PolicyLinks&>;
  { v.meta(ref) } -> std::convertible_to<uint8_t>;  // 0..15, 0 for a fresh item
  v.set_meta(ref, m);                               // m & kMetaMask is kept
  { v.hash(ref) } -> std::convertible_to<uint64_t>;
};

// Contract, for every implementation:
// - Insert(ref, hash, v): a new item joined; its links are unset and its meta is 0.
// - Hit(ref, hash, v): a resident item was read or rewritten in place.
// - Remove(ref, v): the item leaves for a reason of its own (delete, replace, expiry, flush).
// - Evict(ref, v): the item leaves because the cache chose it (it was Victim() or a Next() of
//   it); a policy with a ghost history remembers it here.
// - Victim(v): the item to evict now, kNoItem when empty. It may reorganise the policy (S3-FIFO
//   promotes, SIEVE moves its hand, W-TinyLFU lets window and main duel) but removes nothing:
//   the caller evicts the answer or, if it is pinned, tries Next() of it.
// - First(v) / Next(ref, v): every resident item exactly once, roughly in eviction order,
//   without changing anything (flush, expiry crawl, rebuilds and the conformance suite use it).
// - size(): resident items; MetadataBytes(): bytes the policy holds beyond the item headers.
template <class P, class V>
concept EvictionPolicy = ItemView<V> && requires(P p, const P cp, uint32_t ref, uint64_t h, V v) {
  p.Insert(ref, h, v);
  p.Hit(ref, h, v);
  p.Remove(ref, v);
  p.Evict(ref, v);
  { p.Victim(v) } -> std::same_as<uint32_t>;
  { cp.First(v) } -> std::same_as<uint32_t>;
  { cp.Next(ref, v) } -> std::same_as<uint32_t>;
  { cp.size() } -> std::convertible_to<size_t>;
  { cp.empty() } -> std::same_as<bool>;
  { cp.MetadataBytes() } -> std::convertible_to<size_t>;
  { P::kName } -> std::convertible_to<const char*>;
};

}  // namespace kmd::cache::policy
