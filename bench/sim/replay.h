// Replay of a decoded trace through KeyCache<AdaptivePolicy>: the daemon's own policy classes
// (a fixed kind is exactly AnyPolicy; adaptive follows its AdaptiveController), built from a
// policy name, one cache or N hash-split shards. MakeCaches is the one place kmd-sim constructs
// a policy, so a policy that needs more to be built is adapted here once.
// Thread-safety: Replay builds its caches per call and only reads the Trace; calls may run in
// parallel over one Trace.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/sim/trace.h"
#include "core/cache/policy/adaptive_controller.h"
#include "core/cache/policy/adaptive_policy.h"
#include "core/cache/policy/key_cache.h"
#include "core/cache/policy/policy_kind.h"

namespace kmd::sim {

using cache::policy::PolicyKind;
using SimCache = cache::policy::KeyCache<cache::policy::AdaptivePolicy>;

// The caches of one run: `shards` caches of `kind` sharing `capacity` objects (or bytes) as
// ShardCapacities says. Adaptive with N > 1 shares one controller among the shards, as the
// daemon does (a single cache owns its own); the controller outlives the caches. Adaptive runs
// with AdaptiveOptions' defaults (a simulator affords sampling every key; the daemon caps it).
struct CacheSet {
  std::unique_ptr<cache::policy::AdaptiveController> controller;
  std::vector<std::unique_ptr<SimCache>> shards;
};
CacheSet MakeCaches(PolicyKind kind, uint64_t capacity, bool bytes, uint32_t shards = 1);

// Whether `kind` is really built (AnyPolicy turns a kind it does not know yet into another
// policy; that must never run under the requested name).
bool PolicyImplemented(PolicyKind kind);
std::string ImplementedPolicyNames();  // "lru, fifo, ..." in PolicyKind order

// The shard of `key` among `shards` (high bits of its mix: KeyCache indexes its table and the
// policies by the low ones), and each shard's capacity: capacity/shards, the remainder spread
// one each over the first shards so they add up to `capacity`.
uint32_t ShardOf(uint64_t key, uint32_t shards);
std::vector<uint64_t> ShardCapacities(uint64_t capacity, uint32_t shards);

struct RunResult {
  uint64_t requests = 0;  // gets replayed (the denominator)
  uint64_t misses = 0;
  uint64_t records = 0;  // all records replayed, writes and deletes included
  // Replay time alone (no decoding, no cache construction): wall clock, and this thread's CPU
  // time, which a shared machine's other work does not inflate.
  double seconds = 0;
  double cpu_seconds = 0;

  double miss_ratio() const {
    return requests == 0 ? 0.0 : static_cast<double>(misses) / static_cast<double>(requests);
  }
};

RunResult Replay(const Trace& trace, PolicyKind kind, uint64_t capacity, bool bytes,
                 uint32_t shards = 1);

}  // namespace kmd::sim
