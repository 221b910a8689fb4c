// SIEVE (Zhang et al., NSDI'24): a FIFO queue, a visited bit per item and a hand.
// Per item: 8 bytes of links and 1 meta bit (visited); nothing beyond the item headers.
// Departure: Victim leaves the hand on its answer (the paper evicts it at once); Evict or Remove
// of that item steps the hand toward the head as the paper's eviction does, so a pinned victim the
// Store passes over is looked at again next time. Invariant: the hand is resident or kNoItem.
// Thread-safety: none; the Store calls it under the owning shard's lock.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/cache/policy/ref_list.h"

namespace kmd::cache::policy {

// A hit only sets the bit. Victim moves the hand from the tail toward the head, clearing set bits
// and wrapping to the tail past the head, and stops at the first unvisited item. New items enter
// at the head and never move, so the survivors of a lap sift toward the tail.
class SievePolicy {
 public:
  static constexpr const char* kName = "sieve";

  template <class V>
  void Insert(uint32_t ref, uint64_t /*hash*/, V& v) {
    list_.PushHead(ref, v);
  }
  template <class V>
  void Hit(uint32_t ref, uint64_t /*hash*/, V& v) {
    if (v.meta(ref) != kVisited) v.set_meta(ref, kVisited);  // a read, not a write, when set
  }
  template <class V>
  void Remove(uint32_t ref, V& v) {
    Leave(ref, v);
  }
  template <class V>
  void Evict(uint32_t ref, V& v) {
    Leave(ref, v);
  }
  // Clears at most one full lap of visited bits, so it ends within size() + 1 steps.
  template <class V>
  uint32_t Victim(V& v) {
    uint32_t r = Start();
    if (r == kNoItem) return kNoItem;
    while (v.meta(r) == kVisited) {
      v.set_meta(r, 0);
      r = RefList::Newer(r, v);
      if (r == kNoItem) r = list_.tail();
    }
    hand_ = r;
    return r;
  }
  // The order the hand will examine items: from the hand toward the head, then from the tail.
  template <class V>
  uint32_t First(V& /*v*/) const {
    return Start();
  }
  template <class V>
  uint32_t Next(uint32_t ref, V& v) const {
    uint32_t n = RefList::Newer(ref, v);
    if (n == kNoItem) n = list_.tail();
    return n == Start() ? kNoItem : n;
  }
  size_t size() const { return list_.size(); }
  bool empty() const { return list_.empty(); }
  size_t MetadataBytes() const { return 0; }

 protected:
  static constexpr uint8_t kVisited = 1;  // the meta bit a hit sets

  // Where the hand is; kNoItem means the tail (a fresh policy, or the hand passed the head).
  uint32_t Start() const { return hand_ != kNoItem ? hand_ : list_.tail(); }

  template <class V>
  void Leave(uint32_t ref, V& v) {
    if (ref == hand_) hand_ = RefList::Newer(ref, v);
    list_.Unlink(ref, v);
  }

  RefList list_;
  uint32_t hand_ = kNoItem;  // always a resident item or kNoItem
};

}  // namespace kmd::cache::policy
