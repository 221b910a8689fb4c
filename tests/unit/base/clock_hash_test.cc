// core/base: HashKey is stable and spreads keys; ManualClock moves only when told.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "core/base/hash.h"
#include "tests/support/manual_clock.h"

namespace kmd::base {
namespace {

TEST_CASE("HashKey is deterministic and spreads low bits") {
  CHECK(HashKey("abc") == HashKey(std::string("abc")));
  CHECK(HashKey("abc") != HashKey("abd"));
  std::set<uint64_t> low;
  for (int i = 0; i < 1000; ++i) low.insert(HashKey("key" + std::to_string(i)) & 63);
  CHECK(low.size() == 64);
}

TEST_CASE("ManualClock") {
  test::ManualClock clock(100);
  CHECK(clock.NowSeconds() == 100);
  clock.Advance(5);
  CHECK(clock.NowSeconds() == 105);
  clock.Set(7);
  CHECK(clock.NowSeconds() == 7);
  CHECK(SystemClock::Instance().NowSeconds() > 1'600'000'000);
}

}  // namespace
}  // namespace kmd::base
