// LFU with aging: a logarithmic frequency level per item, decayed by a hand; LRU among equals.
// Per item: 8 bytes of links and 4 meta bits (the level, 0..15); nothing beyond the item headers.
// Departure from textbook LFU: counts are logarithmic and decay (exact counts never forget), so it
// measures recent popularity; ties go by recency.
// Thread-safety: none; the Store calls it under the owning shard's lock.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "core/cache/policy/ref_list.h"
#include "core/cache/policy/xorshift.h"

namespace kmd::cache::policy {

// One RefList per level; the victim is the tail of the lowest non-empty level. A hit raises level
// L to L+1 with probability 2^-L (Redis-style logarithmic counter, deterministic xorshift), so
// level ~ 1 + log2(hits); new items start at level 0. Aging: a decay hand walks levels 1..15, each
// from tail to head, one item per Insert or Hit, lowering each item it passes one level (to the
// head of the level below); a sweep starts at most once per kSweepPeriod x size() operations, so
// an item loses one level per period. The hand steps past an item that leaves or is hit.
class LfuPolicy {
 public:
  static constexpr const char* kName = "lfu";
  static constexpr uint8_t kLevels = 16;
  // Measured on ../shared/traces (1% and 10% caches): a sweep per 2 x size() operations, new items
  // at level 0. Slower decay (4x, 16x) wins on loops (p3) but keeps stale popularity on
  // recency-driven traces (orm_busy 1%: 0.30, 0.60 against LRU's 0.23). New items at level 1 or
  // 2 (Redis starts at 5 of 255) gained <= 0.7 points at 1% but lost 1.6-4 on p3 at 10%.
  static constexpr size_t kSweepPeriod = 2;

  template <class V>
  void Insert(uint32_t ref, uint64_t /*hash*/, V& v) {
    Push(ref, 0, v);  // a fresh item's meta, its level, is 0
    Tick(v);
  }
  template <class V>
  void Hit(uint32_t ref, uint64_t /*hash*/, V& v) {
    if (ref == hand_) StepHand(v);
    const uint8_t level = v.meta(ref);
    if (level + 1 < kLevels && rng_.OneIn2Pow(level)) {
      Unlink(ref, level, v);
      v.set_meta(ref, level + 1);
      Push(ref, level + 1, v);
    } else {
      levels_[level].MoveToHead(ref, v);
    }
    Tick(v);
  }
  template <class V>
  void Remove(uint32_t ref, V& v) {
    if (ref == hand_) StepHand(v);
    Unlink(ref, v.meta(ref), v);
  }
  template <class V>
  void Evict(uint32_t ref, V& v) {
    Remove(ref, v);
  }
  template <class V>
  uint32_t Victim(V& v) {
    return First(v);
  }
  // Lowest level first, each from its tail (least recent) to its head.
  template <class V>
  uint32_t First(V& /*v*/) const {
    return TailFrom(0);
  }
  template <class V>
  uint32_t Next(uint32_t ref, V& v) const {
    const uint32_t n = RefList::Newer(ref, v);
    return n != kNoItem ? n : TailFrom(v.meta(ref) + 1u);
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t MetadataBytes() const { return 0; }

 private:
  // The tail of the lowest non-empty level at or above `level` (0..16), or kNoItem.
  uint32_t TailFrom(unsigned level) const {
    const uint32_t from = nonempty_ & (~0u << level);
    return from == 0 ? kNoItem : levels_[std::countr_zero(from)].tail();
  }
  template <class V>
  void Push(uint32_t ref, uint8_t level, V& v) {
    levels_[level].PushHead(ref, v);
    nonempty_ |= 1u << level;
    ++size_;
  }
  template <class V>
  void Unlink(uint32_t ref, uint8_t level, V& v) {
    levels_[level].Unlink(ref, v);
    if (levels_[level].empty()) nonempty_ &= ~(1u << level);
    --size_;
  }
  // Moves the hand to the item after it in the sweep, or ends the sweep.
  template <class V>
  void StepHand(V& v) {
    const uint32_t n = RefList::Newer(hand_, v);
    hand_ = n != kNoItem ? n : TailFrom(v.meta(hand_) + 1u);
  }
  // One step of aging per operation: lowers the hand's item one level.
  template <class V>
  void Tick(V& v) {
    ++ops_;
    if (hand_ == kNoItem) {
      if (ops_ < size_ * kSweepPeriod) return;
      ops_ = 0;
      hand_ = TailFrom(1);
      if (hand_ == kNoItem) return;
    }
    const uint32_t r = hand_;
    StepHand(v);
    const uint8_t level = v.meta(r);
    Unlink(r, level, v);
    v.set_meta(r, level - 1);
    Push(r, level - 1, v);
  }

  std::array<RefList, kLevels> levels_;
  size_t size_ = 0;
  uint32_t nonempty_ = 0;    // bit L set iff levels_[L] holds an item
  uint32_t hand_ = kNoItem;  // the decay hand: an item at level >= 1, or kNoItem between sweeps
  size_t ops_ = 0;           // operations since the current sweep began
  XorShift64 rng_;
};

}  // namespace kmd::cache::policy
