// Test harness for the eviction-policy conformance suite: an ItemView over plain arrays, the
// policy list every templated test runs over (each fixed policy, and AnyPolicy of each kind), and
// helpers that enumerate a policy and compare with a resident set.
// Thread-safety: none (each test owns its objects). Test-only.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/cache/policy/any_policy.h"
#include "core/cache/policy/eviction_policy.h"
#include "core/cache/policy/key_cache.h"

namespace kmd::cache::policy::testing {

// Items 0..n-1 as the policy sees them; hash(ref) is a bijective mix of the ref.
struct Items {
  explicit Items(size_t n) : l(n), m(n) {}
  std::vector<PolicyLinks> l;
  std::vector<uint8_t> m;
  PolicyLinks& links(uint32_t r) { return l[r]; }
  uint8_t meta(uint32_t r) const { return m[r]; }
  void set_meta(uint32_t r, uint8_t v) { m[r] = v & kMetaMask; }
  uint64_t hash(uint32_t r) const { return Mix64(r); }
  // What the Store does before Insert: the item's links unset and meta 0.
  void Fresh(uint32_t r) {
    l[r] = PolicyLinks{};
    m[r] = 0;
  }
};

// AnyPolicy fixed to one kind, default-constructible so that it fits the templated tests.
template <PolicyKind K>
struct AnyOf : AnyPolicy {
  AnyOf() : AnyPolicy(K) {}
};

#define KMD_ALL_POLICIES                                                                    \
  LruPolicy, FifoPolicy, LfuPolicy, SievePolicy, S3FifoPolicy, WTinyLfuPolicy, ClockPolicy, \
      AnyOf<PolicyKind::kLru>, AnyOf<PolicyKind::kFifo>, AnyOf<PolicyKind::kLfu>,           \
      AnyOf<PolicyKind::kSieve>, AnyOf<PolicyKind::kS3Fifo>, AnyOf<PolicyKind::kWTinyLfu>,  \
      AnyOf<PolicyKind::kClock>

inline constexpr PolicyKind kFixedKinds[] = {
    PolicyKind::kLru,    PolicyKind::kFifo,     PolicyKind::kLfu,  PolicyKind::kSieve,
    PolicyKind::kS3Fifo, PolicyKind::kWTinyLfu, PolicyKind::kClock};

// First/Next from the start, stopping after size() + 1 steps so that a cycle cannot hang a test.
template <class P, class V>
std::vector<uint32_t> Enumerate(const P& p, V& v) {
  std::vector<uint32_t> out;
  for (uint32_t r = p.First(v); r != kNoItem && out.size() <= p.size(); r = p.Next(r, v)) {
    out.push_back(r);
  }
  return out;
}

// Each resident item exactly once, nothing else, and size() agrees.
template <class P, class V>
void CheckResidentSet(const P& p, V& v, std::vector<uint32_t> resident) {
  std::vector<uint32_t> seen = Enumerate(p, v);
  REQUIRE(seen.size() == p.size());
  std::sort(seen.begin(), seen.end());
  std::sort(resident.begin(), resident.end());
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
  CHECK(seen == resident);
  CHECK(p.empty() == resident.empty());
}

// The slots of the keys a KeyCache holds, by enumeration (checked against Contains()).
template <class P>
std::vector<uint64_t> ResidentKeys(KeyCache<P>& c) {
  auto v = c.view();
  std::vector<uint64_t> keys;
  for (uint32_t r : Enumerate(c.policy(), v)) keys.push_back(c.key_of(r));
  return keys;
}

}  // namespace kmd::cache::policy::testing
