// KeyCache<Policy>: a cache of keys without values, driving one eviction policy through the same
// interface the Store uses. It is kmd-sim's cache (bench/sim replays traces through it), the
// shadow caches Adaptive learns from, and the harness of the shared policy conformance suite.
// Capacity counts objects, or bytes (each object takes its size; one larger than the whole
// capacity is never admitted). Keys are 64-bit ids; the policy sees Mix64(key) as the hash.
// Thread-safety: none (one owner thread, or the owner's lock).
#pragma once

#include <bit>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/cache/policy/eviction_policy.h"

namespace kmd::cache::policy {

// splitmix64's finalizer: a bijective mix, so trace keys that are small integers still spread
// over the sketch and filter bits of the policies.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Open-addressing map from a 64-bit key to a 32-bit slot (linear probing, backward-shift delete,
// no tombstones). Key ~0 is reserved as "empty".
class SlotMap {
 public:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static constexpr uint32_t kMissing = kNoItem;

  uint32_t Find(uint64_t key) const {
    if (keys_.empty()) return kMissing;
    for (size_t i = Mix64(key) & mask_;; i = (i + 1) & mask_) {
      if (keys_[i] == key) return vals_[i];
      if (keys_[i] == kEmpty) return kMissing;
    }
  }
  void Insert(uint64_t key, uint32_t slot) {
    if ((count_ + 1) * 2 > keys_.size()) Grow();
    size_t i = Mix64(key) & mask_;
    while (keys_[i] != kEmpty) i = (i + 1) & mask_;
    keys_[i] = key;
    vals_[i] = slot;
    ++count_;
  }
  void Erase(uint64_t key) {
    size_t i = Mix64(key) & mask_;
    while (keys_[i] != key) i = (i + 1) & mask_;
    // Backward shift: pull later entries of the probe run into the hole.
    for (size_t j = (i + 1) & mask_; keys_[j] != kEmpty; j = (j + 1) & mask_) {
      const size_t home = Mix64(keys_[j]) & mask_;
      if (((j - home) & mask_) >= ((j - i) & mask_)) {
        keys_[i] = keys_[j];
        vals_[i] = vals_[j];
        i = j;
      }
    }
    keys_[i] = kEmpty;
    --count_;
  }
  void Reserve(size_t n) {
    while (keys_.size() < n * 2) Grow();
  }
  size_t size() const { return count_; }
  size_t bytes() const { return keys_.size() * (sizeof(uint64_t) + sizeof(uint32_t)); }

 private:
  void Grow() {
    std::vector<uint64_t> old_keys = std::move(keys_);
    std::vector<uint32_t> old_vals = std::move(vals_);
    const size_t n = std::max<size_t>(16, old_keys.size() * 2);
    keys_.assign(n, kEmpty);
    vals_.assign(n, 0);
    mask_ = n - 1;
    count_ = 0;
    for (size_t i = 0; i < old_keys.size(); ++i) {
      if (old_keys[i] != kEmpty) Insert(old_keys[i], old_vals[i]);
    }
  }
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> vals_;
  size_t mask_ = 0;
  size_t count_ = 0;
};

template <class Policy>
class KeyCache {
 public:
  // A view over this cache's slot arrays, as the policy sees items.
  struct View {
    KeyCache* c;
    PolicyLinks& links(uint32_t r) { return c->links_[r]; }
    uint8_t meta(uint32_t r) const { return c->meta_[r]; }
    void set_meta(uint32_t r, uint8_t m) { c->meta_[r] = m & kMetaMask; }
    uint64_t hash(uint32_t r) const { return Mix64(c->keys_[r]); }
  };

  template <class... Args>
  explicit KeyCache(uint64_t capacity, bool by_bytes = false, Args&&... policy_args)
      : policy_(std::forward<Args>(policy_args)...), capacity_(capacity), by_bytes_(by_bytes) {
    if (!by_bytes) map_.Reserve(static_cast<size_t>(std::min<uint64_t>(capacity, 1u << 26)));
  }

  // One request: true on a hit. A miss admits the key (evicting until it fits).
  bool Access(uint64_t key, uint32_t size = 1) {
    View v{this};
    const uint64_t h = Mix64(key);
    const uint32_t slot = map_.Find(key);
    if (slot != SlotMap::kMissing) {
      policy_.Hit(slot, h, v);
      return true;
    }
    const uint64_t cost = by_bytes_ ? size : 1;
    if (cost > capacity_ || capacity_ == 0) return false;
    while (used_ + cost > capacity_) EvictOne();
    const uint32_t s = NewSlot(key, static_cast<uint32_t>(cost));
    map_.Insert(key, s);
    used_ += cost;
    policy_.Insert(s, h, v);
    return false;
  }

  // Removes `key` if resident (a delete, not an eviction).
  void Erase(uint64_t key) {
    const uint32_t slot = map_.Find(key);
    if (slot == SlotMap::kMissing) return;
    View v{this};
    policy_.Remove(slot, v);
    Release(slot);
  }

  bool Contains(uint64_t key) const { return map_.Find(key) != SlotMap::kMissing; }
  // Changes the capacity; a smaller one evicts down to it now.
  void Resize(uint64_t capacity) {
    capacity_ = capacity;
    while (used_ > capacity_ && !policy_.empty()) EvictOne();
  }

  Policy& policy() { return policy_; }
  const Policy& policy() const { return policy_; }
  View view() { return View{this}; }
  uint64_t key_of(uint32_t slot) const { return keys_[slot]; }
  uint64_t used() const { return used_; }
  uint64_t capacity() const { return capacity_; }
  size_t resident() const { return map_.size(); }
  uint64_t evictions() const { return evictions_; }
  // This cache's own bytes (slot arrays and map) plus the policy's.
  size_t MetadataBytes() const {
    return keys_.capacity() * (sizeof(uint64_t) + sizeof(PolicyLinks) + 1 + sizeof(uint32_t)) +
           map_.bytes() + policy_.MetadataBytes();
  }

 private:
  void EvictOne() {
    View v{this};
    const uint32_t victim = policy_.Victim(v);
    policy_.Evict(victim, v);
    Release(victim);
    ++evictions_;
  }
  uint32_t NewSlot(uint64_t key, uint32_t cost) {
    uint32_t s;
    if (!free_.empty()) {
      s = free_.back();
      free_.pop_back();
    } else {
      s = static_cast<uint32_t>(keys_.size());
      keys_.push_back(0);
      links_.emplace_back();
      meta_.push_back(0);
      cost_.push_back(0);
    }
    keys_[s] = key;
    links_[s] = PolicyLinks{};
    meta_[s] = 0;
    cost_[s] = cost;
    return s;
  }
  void Release(uint32_t slot) {
    map_.Erase(keys_[slot]);
    used_ -= cost_[slot];
    free_.push_back(slot);
  }

  Policy policy_;
  uint64_t capacity_;
  bool by_bytes_;
  uint64_t used_ = 0;
  uint64_t evictions_ = 0;
  SlotMap map_;
  std::vector<uint64_t> keys_;
  std::vector<PolicyLinks> links_;
  std::vector<uint8_t> meta_;
  std::vector<uint32_t> cost_;
  std::vector<uint32_t> free_;
};

}  // namespace kmd::cache::policy
