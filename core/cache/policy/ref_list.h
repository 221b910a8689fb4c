// RefList: an intrusive doubly linked list threaded through items' PolicyLinks, the building block
// every list-based policy shares (LRU, FIFO, SIEVE, S3-FIFO queues, W-TinyLFU segments, LFU
// levels). head = most recently pushed, tail = oldest; prev points toward the head.
// An item is on at most one RefList at a time (it has one PolicyLinks); the owner knows which.
// Thread-safety: none; callers hold the owning shard's lock.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/cache/policy/eviction_policy.h"

namespace kmd::cache::policy {

class RefList {
 public:
  template <class V>
  void PushHead(uint32_t ref, V& v) {
    PolicyLinks& l = v.links(ref);
    l.prev = kNoItem;
    l.next = head_;
    if (head_ != kNoItem) v.links(head_).prev = ref;
    head_ = ref;
    if (tail_ == kNoItem) tail_ = ref;
    ++size_;
  }

  template <class V>
  void PushTail(uint32_t ref, V& v) {
    PolicyLinks& l = v.links(ref);
    l.next = kNoItem;
    l.prev = tail_;
    if (tail_ != kNoItem) v.links(tail_).next = ref;
    tail_ = ref;
    if (head_ == kNoItem) head_ = ref;
    ++size_;
  }

  // Puts `ref` right behind `anchor` (an item on this list): toward the tail, older than it.
  template <class V>
  void PushBehind(uint32_t ref, uint32_t anchor, V& v) {
    PolicyLinks& a = v.links(anchor);
    PolicyLinks& l = v.links(ref);
    l.prev = anchor;
    l.next = a.next;
    if (a.next != kNoItem) {
      v.links(a.next).prev = ref;
    } else {
      tail_ = ref;
    }
    a.next = ref;
    ++size_;
  }

  template <class V>
  void Unlink(uint32_t ref, V& v) {
    PolicyLinks& l = v.links(ref);
    if (l.prev != kNoItem) {
      v.links(l.prev).next = l.next;
    } else {
      head_ = l.next;
    }
    if (l.next != kNoItem) {
      v.links(l.next).prev = l.prev;
    } else {
      tail_ = l.prev;
    }
    l.prev = l.next = kNoItem;
    --size_;
  }

  template <class V>
  void MoveToHead(uint32_t ref, V& v) {
    if (head_ == ref) return;
    Unlink(ref, v);
    PushHead(ref, v);
  }

  // True if `ref` is this list's head or tail (how a multi-list policy tells, for an item at an
  // end, which list it is on without storing that per item).
  bool IsEnd(uint32_t ref) const { return ref == head_ || ref == tail_; }

  uint32_t head() const { return head_; }
  uint32_t tail() const { return tail_; }
  // Toward the head (newer) and toward the tail (older).
  template <class V>
  static uint32_t Newer(uint32_t ref, V& v) {
    return v.links(ref).prev;
  }
  template <class V>
  static uint32_t Older(uint32_t ref, V& v) {
    return v.links(ref).next;
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  uint32_t head_ = kNoItem;
  uint32_t tail_ = kNoItem;
  size_t size_ = 0;
};

}  // namespace kmd::cache::policy
