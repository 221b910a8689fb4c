// LRU: a doubly linked list threaded through the items' PolicyLinks (prev = toward the head, i.e.
// more recently used; next = toward the tail). Insert and Hit put an item at the head; the victim
// is the tail. Departure from the textbook: none here; memcached bumps at most once a minute and
// segments its LRU, which the adaptive policies of the eviction issue will revisit.
// Thread-safety: none; the Store calls it under the owning shard's lock.
#pragma once

#include <cstdint>

#include "core/cache/policy/eviction_policy.h"

namespace kmd::cache::policy {

class LruPolicy {
 public:
  template <class Links>
  void Insert(uint32_t ref, Links&& links) {
    PolicyLinks& l = links(ref);
    l.prev = kNoItem;
    l.next = head_;
    if (head_ != kNoItem) links(head_).prev = ref;
    head_ = ref;
    if (tail_ == kNoItem) tail_ = ref;
  }

  template <class Links>
  void Remove(uint32_t ref, Links&& links) {
    PolicyLinks& l = links(ref);
    if (l.prev != kNoItem) {
      links(l.prev).next = l.next;
    } else {
      head_ = l.next;
    }
    if (l.next != kNoItem) {
      links(l.next).prev = l.prev;
    } else {
      tail_ = l.prev;
    }
    l.prev = l.next = kNoItem;
  }

  template <class Links>
  void Hit(uint32_t ref, Links&& links) {
    if (head_ == ref) return;
    Remove(ref, links);
    Insert(ref, links);
  }

  uint32_t Victim() const { return tail_; }

  // Eviction order runs from the tail toward the head.
  template <class Links>
  uint32_t Next(uint32_t ref, Links&& links) const {
    return links(ref).prev;
  }

  bool empty() const { return head_ == kNoItem; }
  // Most recently used (flush walks from here; any order would do).
  uint32_t head() const { return head_; }

 private:
  uint32_t head_ = kNoItem;
  uint32_t tail_ = kNoItem;
};

}  // namespace kmd::cache::policy
