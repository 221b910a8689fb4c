// AnyPolicy: one of the fixed policies, chosen at run time (config `eviction.policy`), behind the
// EvictionPolicy interface. A std::variant, so a call is one switch on the kind, not a virtual
// call, and the policies keep their own state inline. Adaptive holds one of these as its live
// policy and rebuilds it in another kind when it switches.
// Thread-safety: none; callers hold the owning shard's lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <variant>

#include "core/cache/policy/clock_policy.h"
#include "core/cache/policy/eviction_policy.h"
#include "core/cache/policy/fifo_policy.h"
#include "core/cache/policy/lfu_policy.h"
#include "core/cache/policy/lru_policy.h"
#include "core/cache/policy/policy_kind.h"
#include "core/cache/policy/s3fifo_policy.h"
#include "core/cache/policy/sieve_policy.h"
#include "core/cache/policy/wtinylfu_policy.h"

namespace kmd::cache::policy {

using FixedPolicy = std::variant<LruPolicy, LfuPolicy, FifoPolicy, S3FifoPolicy, SievePolicy,
                                 WTinyLfuPolicy, ClockPolicy>;

// A default-constructed policy of `kind`; kind must name a fixed policy (not kAdaptive).
inline FixedPolicy MakeFixedPolicy(PolicyKind kind) {
  switch (kind) {
    case PolicyKind::kLfu:
      return LfuPolicy{};
    case PolicyKind::kFifo:
      return FifoPolicy{};
    case PolicyKind::kS3Fifo:
      return S3FifoPolicy{};
    case PolicyKind::kSieve:
      return SievePolicy{};
    case PolicyKind::kWTinyLfu:
      return WTinyLfuPolicy{};
    case PolicyKind::kClock:
      return ClockPolicy{};
    default:
      return LruPolicy{};
  }
}

class AnyPolicy {
 public:
  explicit AnyPolicy(PolicySpec spec = PolicyKind::kLru)
      : p_(MakeFixedPolicy(spec.kind)), kind_(spec.kind) {
    SetShare(spec.share);
  }

  PolicyKind kind() const { return kind_; }
  // The tunable share of a policy that has one (else 0); 0 leaves the policy's default.
  uint8_t share() const {
    return std::visit(
        [](const auto& p) -> uint8_t {
          if constexpr (requires { p.share(); }) {
            return p.share();
          } else {
            return 0;
          }
        },
        p_);
  }
  void SetShare(uint8_t pct) {
    if (pct == 0) return;
    std::visit(
        [&](auto& p) {
          if constexpr (requires { p.SetShare(pct); }) p.SetShare(pct);
        },
        p_);
  }
  PolicySpec spec() const { return PolicySpec(kind_, share()); }
  const char* name() const {
    return std::visit([](const auto& p) { return std::decay_t<decltype(p)>::kName; }, p_);
  }

  template <class V>
  void Insert(uint32_t ref, uint64_t hash, V& v) {
    std::visit([&](auto& p) { p.Insert(ref, hash, v); }, p_);
  }
  template <class V>
  void Hit(uint32_t ref, uint64_t hash, V& v) {
    std::visit([&](auto& p) { p.Hit(ref, hash, v); }, p_);
  }
  template <class V>
  void Remove(uint32_t ref, V& v) {
    std::visit([&](auto& p) { p.Remove(ref, v); }, p_);
  }
  template <class V>
  void Evict(uint32_t ref, V& v) {
    std::visit([&](auto& p) { p.Evict(ref, v); }, p_);
  }
  template <class V>
  uint32_t Victim(V& v) {
    return std::visit([&](auto& p) { return p.Victim(v); }, p_);
  }
  template <class V>
  uint32_t First(V& v) const {
    return std::visit([&](const auto& p) { return p.First(v); }, p_);
  }
  template <class V>
  uint32_t Next(uint32_t ref, V& v) const {
    return std::visit([&](const auto& p) { return p.Next(ref, v); }, p_);
  }
  size_t size() const {
    return std::visit([](const auto& p) -> size_t { return p.size(); }, p_);
  }
  bool empty() const {
    return std::visit([](const auto& p) { return p.empty(); }, p_);
  }
  size_t MetadataBytes() const {
    return std::visit([](const auto& p) -> size_t { return p.MetadataBytes(); }, p_);
  }

  // Re-orders the resident items under `spec`: a new share of the same kind is set in place;
  // another kind gets the items re-inserted oldest first in the current eviction order (so
  // recency survives a switch; frequency history starts afresh), through Adopt where the new
  // policy has it (residents skip the probation a new key gets).
  template <class V>
  void Rebuild(PolicySpec spec, V& v) {
    const PolicyKind kind = spec.kind;
    if (kind == kind_) {
      SetShare(spec.share);
      return;
    }
    FixedPolicy next = MakeFixedPolicy(kind);
    std::visit(
        [&](auto& from, auto& to) {
          uint32_t r = from.First(v);
          while (r != kNoItem) {
            const uint32_t after = from.Next(r, v);
            v.links(r) = PolicyLinks{};
            v.set_meta(r, 0);
            if constexpr (requires { to.Adopt(r, uint64_t{0}, v); }) {
              to.Adopt(r, v.hash(r), v);
            } else {
              to.Insert(r, v.hash(r), v);
            }
            r = after;
          }
          if constexpr (requires { to.Settle(v); }) to.Settle(v);
        },
        p_, next);
    p_ = std::move(next);
    kind_ = kind;
    SetShare(spec.share);
  }

 private:
  FixedPolicy p_;
  PolicyKind kind_;
};

}  // namespace kmd::cache::policy
