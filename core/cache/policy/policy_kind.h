// The eviction policies by name: what config `eviction.policy`, `stats settings` and kmd-sim's
// --policy use. Pure values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kmd::cache::policy {

// kClock: CLOCK (second chance) over slab memory order: the store's hand walks a class's pages,
// so items need no list links (clock_policy.h is the same policy over a list, for kmd-sim).
enum class PolicyKind : uint8_t {
  kLru,
  kLfu,
  kFifo,
  kS3Fifo,
  kSieve,
  kWTinyLfu,
  kAdaptive,
  kClock
};

inline constexpr std::array<std::string_view, 8> kPolicyNames{
    "lru", "lfu", "fifo", "s3fifo", "sieve", "wtinylfu", "adaptive", "clock"};

// Whether the policy orders items on lists threaded through per-item links.
inline constexpr bool UsesItemLinks(PolicyKind k) { return k != PolicyKind::kClock; }

inline constexpr std::string_view PolicyName(PolicyKind k) {
  return kPolicyNames[static_cast<size_t>(k)];
}

// A policy and its tunable share (percent): S3-FIFO's small queue, W-TinyLFU's window; 0 means
// the policy's default, and the others have none. Adaptive's candidates are specs.
struct PolicySpec {
  PolicyKind kind = PolicyKind::kLru;
  uint8_t share = 0;
  constexpr PolicySpec() = default;
  constexpr PolicySpec(PolicyKind k, uint8_t s = 0) : kind(k), share(s) {}  // NOLINT: implicit
  friend constexpr bool operator==(const PolicySpec&, const PolicySpec&) = default;
};

inline constexpr std::optional<PolicyKind> ParsePolicyKind(std::string_view name) {
  for (size_t i = 0; i < kPolicyNames.size(); ++i) {
    if (kPolicyNames[i] == name) return static_cast<PolicyKind>(i);
  }
  return std::nullopt;
}

}  // namespace kmd::cache::policy
