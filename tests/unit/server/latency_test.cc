// Request latency: bucket placement, per-thread shards summed at report time, and the sessions'
// laps labelled with the command they executed (text, meta and binary).
#include "server/dispatch/latency.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <thread>

#include "core/cache/store.h"
#include "server/dispatch/binary_session.h"
#include "server/dispatch/text_session.h"
#include "tests/support/memcache_wire.h"

namespace kmd::dispatch {
namespace {

// command label -> (per-bucket counts, sum)
struct Histograms : base::CounterVisitor {
  struct Seen {
    std::vector<uint64_t> buckets;
    double sum = 0;
    uint64_t count() const {
      uint64_t n = 0;
      for (uint64_t b : buckets) n += b;
      return n;
    }
  };
  std::map<std::string, Seen> by_command;
  void Visit(std::string_view, base::MetricKind, double, std::string_view, const base::MetricLabel*,
             int) override {}
  void VisitHistogram(std::string_view name, const base::HistogramView& h, std::string_view,
                      const base::MetricLabel* labels, int label_count) override {
    CHECK(name == "request_duration_seconds");
    REQUIRE(label_count == 1);
    CHECK(labels[0].name == "command");
    CHECK(h.bucket_counts.size() == h.upper_bounds.size() + 1);
    by_command[std::string(labels[0].value)] = {{h.bucket_counts.begin(), h.bucket_counts.end()},
                                                h.sum};
  }
};

TEST_CASE("latency: a bound belongs to its own bucket; past the last bound is +Inf") {
  LatencyRecorder recorder;
  LatencyShard* shard = recorder.ShardForThisThread();
  shard->Record(LatencyCommand::kGet, 1000);  // exactly 1 us: the first bucket (le="1e-06")
  shard->Record(LatencyCommand::kGet, 1001);
  shard->Record(LatencyCommand::kGet, 5'000'000'000);  // 5 s
  Histograms h;
  recorder.VisitCounters(h);
  REQUIRE(h.by_command.size() == 1);
  const auto& get = h.by_command["get"];
  CHECK(get.buckets[0] == 1);
  CHECK(get.buckets[1] == 1);
  CHECK(get.buckets.back() == 1);
  CHECK(get.sum == doctest::Approx(5.000002));
}

TEST_CASE("latency: each thread gets its own shard; the report sums them") {
  LatencyRecorder recorder;
  LatencyShard* mine = recorder.ShardForThisThread();
  CHECK(recorder.ShardForThisThread() == mine);
  LatencyShard* theirs = nullptr;
  std::thread t([&] {
    theirs = recorder.ShardForThisThread();
    for (int i = 0; i < 1000; ++i) theirs->Record(LatencyCommand::kSet, 2000);
  });
  for (int i = 0; i < 500; ++i) mine->Record(LatencyCommand::kSet, 2000);
  t.join();
  CHECK(theirs != mine);
  Histograms h;
  recorder.VisitCounters(h);
  CHECK(h.by_command["set"].count() == 1500);
  CHECK(h.by_command["set"].sum == doctest::Approx(1500 * 2e-6));
}

TEST_CASE("latency: sessions time each executed request under its command's label") {
  cache::Store store(cache::StoreConfig{});
  net::ServerCounters counters;
  LatencyRecorder recorder;
  DispatchContext ctx;
  ctx.store = &store;
  ctx.counters = &counters;
  ctx.latency = &recorder;
  TextSession text(ctx);
  text.Process(
      "set a 0 0 1\r\nx\r\nget a\r\ngets a b\r\nmg a v\r\nms b 1 MA\r\ny\r\nma n MD\r\n"
      "incr n 1\r\ndelete a\r\nversion\r\nbogus\r\n");
  BinarySession binary(ctx);
  binary.Process(test::BinaryRequest(test::kOpGet, "a") + test::BinaryRequest(test::kOpNoop, ""));
  Histograms h;
  recorder.VisitCounters(h);
  CHECK(h.by_command["set"].count() == 1);
  CHECK(h.by_command["get"].count() == 4);  // get, gets (one request), mg, binary get
  CHECK(h.by_command["append"].count() == 1);
  CHECK(h.by_command["decr"].count() == 1);
  CHECK(h.by_command["incr"].count() == 1);
  CHECK(h.by_command["delete"].count() == 1);
  CHECK(h.by_command["other"].count() == 2);  // version, binary noop; "bogus" is not executed
}

}  // namespace
}  // namespace kmd::dispatch
