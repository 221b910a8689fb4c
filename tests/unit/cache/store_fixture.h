// A Store on a manual clock (16 MiB, 8 shards) for command-semantics tests.
// Thread-safety: as Store; the clock moves only when the test moves it. Test-only.
#pragma once

#include <memory>

#include "core/cache/store.h"
#include "tests/support/manual_clock.h"

namespace kmd::cache::testing {

struct Fixture {
  test::ManualClock clock;
  StoreConfig cfg;
  std::unique_ptr<Store> store;
  Fixture() {
    cfg.clock = &clock;
    cfg.memory_limit = 16u << 20;
    cfg.shards = 8;
    store = std::make_unique<Store>(cfg);
  }
};

}  // namespace kmd::cache::testing
