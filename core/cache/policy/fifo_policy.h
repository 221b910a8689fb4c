// FIFO: insertion order; the victim is the oldest item and a hit changes nothing (a GET costs the
// policy no write at all). It is LruPolicy with Hit a no-op, so the list code stays in one place.
// Per-item state: the 8 bytes of links, no meta bits; nothing beyond the item headers.
// Textbook FIFO, no departure; it is the baseline that S3-FIFO and SIEVE improve on.
// Thread-safety: none; the Store calls it under the owning shard's lock.
#pragma once

#include <cstdint>

#include "core/cache/policy/lru_policy.h"

namespace kmd::cache::policy {

class FifoPolicy : public LruPolicy {
 public:
  static constexpr const char* kName = "fifo";

  template <class V>
  void Hit(uint32_t /*ref*/, uint64_t /*hash*/, V& /*v*/) {}
};

}  // namespace kmd::cache::policy
