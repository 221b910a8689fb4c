// LRU: one RefList; Insert and Hit put an item at the head, the victim is the tail.
// Per-item state: the 8 bytes of links, no meta bits; nothing beyond the item headers.
// Departure from memcached: it bumps at most once a minute and segments its LRU (hot/warm/cold);
// that is what the other policies here and Adaptive address instead.
// Thread-safety: none; the Store calls it under the owning shard's lock.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/cache/policy/ref_list.h"

namespace kmd::cache::policy {

class LruPolicy {
 public:
  static constexpr const char* kName = "lru";

  template <class V>
  void Insert(uint32_t ref, uint64_t /*hash*/, V& v) {
    list_.PushHead(ref, v);
  }
  template <class V>
  void Hit(uint32_t ref, uint64_t /*hash*/, V& v) {
    list_.MoveToHead(ref, v);
  }
  template <class V>
  void Remove(uint32_t ref, V& v) {
    list_.Unlink(ref, v);
  }
  template <class V>
  void Evict(uint32_t ref, V& v) {
    list_.Unlink(ref, v);
  }
  template <class V>
  uint32_t Victim(V& /*v*/) {
    return list_.tail();
  }
  template <class V>
  uint32_t First(V& /*v*/) const {
    return list_.tail();
  }
  template <class V>
  uint32_t Next(uint32_t ref, V& v) const {
    return RefList::Newer(ref, v);
  }
  size_t size() const { return list_.size(); }
  bool empty() const { return list_.empty(); }
  size_t MetadataBytes() const { return 0; }

 private:
  RefList list_;
};

}  // namespace kmd::cache::policy
