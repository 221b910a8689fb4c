// CLOCK (second chance, Corbató 1968) over a list: SIEVE's hand and visited bit, but a new item
// goes right behind the hand (the last place the hand reaches) instead of at the head. This is
// what the Store's memory-order CLOCK does (store.cc ClockEvict: a new item takes the chunk just
// freed at the hand), written over RefList so kmd-sim and the conformance suite can run it; the
// Store itself keeps no list and no links for it.
// Per item: 8 bytes of links (here only) and 1 meta bit. Thread-safety: none (owner's lock).
#pragma once

#include <cstdint>

#include "core/cache/policy/sieve_policy.h"

namespace kmd::cache::policy {

class ClockPolicy : public SievePolicy {
 public:
  static constexpr const char* kName = "clock";

  template <class V>
  void Insert(uint32_t ref, uint64_t /*hash*/, V& v) {
    if (hand_ == kNoItem) {
      list_.PushHead(ref, v);  // the hand is at the tail: the head is reached last
    } else {
      list_.PushBehind(ref, hand_, v);
    }
  }
};

}  // namespace kmd::cache::policy
