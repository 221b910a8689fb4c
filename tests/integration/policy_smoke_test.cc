// Every eviction policy inside the real daemon (the full integration suite runs under the default,
// adaptive): started with --eviction-policy P and a small -m, it stores, serves and evicts under
// memory pressure, reports P in `stats settings` and `stats`, and keeps the newest items.
#include <doctest/doctest.h>

#include <string>

#include "tests/support/daemon.h"
#include "tests/support/tcp_client.h"

namespace kmd::test {
namespace {

TEST_CASE("policies: each one stores, serves and evicts in the daemon") {
  if (TargetIsMemcached()) return;
  for (const char* policy :
       {"lru", "lfu", "fifo", "s3fifo", "sieve", "wtinylfu", "adaptive", "clock"}) {
    CAPTURE(policy);
    Daemon d({"-m", "8", "-t", "2", "--eviction-policy", policy});
    TcpClient c(d.port());
    CHECK(TextStats(c, "settings")["eviction_policy"] == policy);
    // 24 MiB of 1 KiB values into 8 MiB: two thirds must be evicted, with reads in between so
    // that hit-driven policies see hits.
    constexpr int kItems = 24 * 1024;
    for (int start = 0; start < kItems; start += 1024) {
      REQUIRE(StoreItems(c, start, 1024, 1000));
      for (int k = start; k < start + 1024; k += 64) {
        c.Request("mg key:" + std::to_string(k) + "\r\n", "\r\n");
      }
      c.Request("mn\r\n", "MN\r\n");
    }
    auto st = TextStats(c);
    CHECK(st["eviction_policy"] == policy);
    if (std::string(policy) != "adaptive") CHECK(st["eviction_policy_live"] == policy);
    const long items = std::stol(st["curr_items"]);
    CHECK(std::stol(st["evictions"]) > 0);
    CHECK(items > 4000);  // about 7 MiB of 1 KiB items stay
    CHECK(items < kItems / 2);
    // Every policy admits what was just written: the last item set is there, intact.
    const std::string last = "key:" + std::to_string(kItems - 1);
    CHECK(c.Request("get " + last + "\r\n", "END\r\n") ==
          "VALUE " + last + " 0 1000\r\n" + std::string(1000, 'x') + "\r\nEND\r\n");
    // And the daemon stays consistent: delete works, flush empties it.
    CHECK(c.Request("delete " + last + "\r\n") == "DELETED\r\n");
    CHECK(c.Request("flush_all\r\n") == "OK\r\n");
    CHECK(TextStats(c)["curr_items"] == "0");
  }
}

}  // namespace
}  // namespace kmd::test
