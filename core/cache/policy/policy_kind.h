// The eviction policies by name: what config `eviction.policy`, `stats settings` and kmd-sim's
// --policy use. Pure values.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace kmd::cache::policy {

enum class PolicyKind : uint8_t { kLru, kLfu, kFifo, kS3Fifo, kSieve, kWTinyLfu, kAdaptive };

inline constexpr std::array<std::string_view, 7> kPolicyNames{
    "lru", "lfu", "fifo", "s3fifo", "sieve", "wtinylfu", "adaptive"};

inline constexpr std::string_view PolicyName(PolicyKind k) {
  return kPolicyNames[static_cast<size_t>(k)];
}

inline constexpr std::optional<PolicyKind> ParsePolicyKind(std::string_view name) {
  for (size_t i = 0; i < kPolicyNames.size(); ++i) {
    if (kPolicyNames[i] == name) return static_cast<PolicyKind>(i);
  }
  return std::nullopt;
}

}  // namespace kmd::cache::policy
