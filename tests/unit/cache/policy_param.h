// Store tests that must hold under both item layouts: a list policy (the default, Adaptive: items
// carry policy links) and CLOCK (no links; the hand walks slab memory). doctest template cases
// take one of these types: TEST_CASE_TEMPLATE("...", P, KMD_STORE_LAYOUTS) { cfg.policy = P::kKind;
// } Test-only.
#pragma once

#include "core/cache/policy/policy_kind.h"

namespace kmd::cache::testing {

template <policy::PolicyKind K>
struct PolicyParam {
  static constexpr policy::PolicyKind kKind = K;
};

}  // namespace kmd::cache::testing

#define KMD_STORE_LAYOUTS                                                          \
  ::kmd::cache::testing::PolicyParam<::kmd::cache::policy::PolicyKind::kAdaptive>, \
      ::kmd::cache::testing::PolicyParam<::kmd::cache::policy::PolicyKind::kClock>
