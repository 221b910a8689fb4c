// Where item writes go: the Space-Saving sketch holds every key heavier than total/K with true
// bounds, and ItemProfile attributes writes to key prefixes and commands, through the store's
// real write hook as well as directly.
#include "core/profile/item_profile.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "core/cache/store.h"
#include "core/profile/space_saving.h"

namespace kmd::profile {
namespace {

TEST_CASE("Space-Saving keeps every heavy key, with count - error <= true <= count") {
  SpaceSaving sketch(16);
  std::map<std::string, uint64_t> truth;
  std::mt19937 rng(3);
  // Four heavy keys among many light ones.
  for (int i = 0; i < 20000; ++i) {
    std::string key;
    uint64_t w = 1 + rng() % 100;
    if (i % 5 == 0) {
      key = "heavy" + std::to_string(i % 4);
      w *= 20;
    } else {
      key = "light" + std::to_string(rng() % 5000);
    }
    truth[key] += w;
    sketch.Add(key, w);
  }
  uint64_t total = 0;
  for (const auto& [key, w] : truth) total += w;
  CHECK(sketch.total() == total);
  const std::vector<HeavyHitter> top = sketch.Top();
  CHECK(top.size() == 16);
  for (int h = 0; h < 4; ++h) {
    const std::string key = "heavy" + std::to_string(h);
    auto it =
        std::find_if(top.begin(), top.end(), [&](const HeavyHitter& x) { return x.key == key; });
    REQUIRE(it != top.end());
    CHECK(it->count >= truth[key]);
    CHECK(it->count - it->error <= truth[key]);
  }
  CHECK(top.front().key.rfind("heavy", 0) == 0);
}

TEST_CASE("item writes by key prefix and by command, through the store's write hook") {
  ItemProfile profile(":", true);
  CHECK(profile.Prefix("user:42:name") == "user");
  CHECK(profile.Prefix("plain") == "plain");
  cache::StoreConfig cfg;
  cfg.memory_limit = 16u << 20;
  cfg.crawler_interval_ms = 0;
  cache::Store store(cfg);
  const std::string value(100, 'v');
  const int writes = static_cast<int>(base::kItemSampleEvery) * 1000;
  for (int i = 0; i < writes; ++i) {
    cache::StoreArgs a;
    const std::string key = (i % 4 == 0 ? "session:" : "user:") + std::to_string(i);
    a.key = key;
    a.value = value;
    if (i % 8 == 1) a.mode = cache::StoreMode::kAdd;
    REQUIRE(store.Set(a).status == cache::OpStatus::kOk);
  }
  const ItemWrites w = profile.Snapshot();
  const auto& set = w.by_command[static_cast<size_t>(base::ItemWriteOp::kSet)];
  const auto& add = w.by_command[static_cast<size_t>(base::ItemWriteOp::kAdd)];
  // One write in kItemSampleEvery on average is sampled and weighted back up.
  CHECK(static_cast<double>(set.writes + add.writes) == doctest::Approx(writes).epsilon(0.1));
  CHECK(static_cast<double>(add.writes) == doctest::Approx(writes / 8.0).epsilon(0.25));
  REQUIRE(w.prefixes.size() == 2);
  CHECK(w.prefixes[0].key == "user");
  CHECK(w.prefixes[1].key == "session");
  CHECK(static_cast<double>(w.prefixes[1].count) ==
        doctest::Approx(static_cast<double>(w.prefix_total) / 4).epsilon(0.25));
}

}  // namespace
}  // namespace kmd::profile
