// kmd-sim options, size resolution and replay: sizes (absolute, percent, bytes) resolve exactly,
// bad flags and values are refused naming them, LRU miss counts match hand-computed ones, and
// N shards behave exactly as N independent caches over the hash-split trace.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bench/sim/options.h"
#include "bench/sim/replay.h"
#include "bench/sim/report.h"

namespace kmd::sim {
namespace {

ParseResult Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "kmd-sim");
  return ParseOptions(static_cast<int>(args.size()), args.data());
}

Trace Keys(std::vector<uint64_t> keys, std::vector<uint32_t> sizes = {}) {
  Trace t;
  for (size_t i = 0; i < keys.size(); ++i) t.Add(keys[i], sizes.empty() ? 1 : sizes[i], Op::kGet);
  return t;
}

TEST_CASE("sizes: absolute counts, exact percentages of distinct keys or of their bytes") {
  const TraceStats stats{48974, 1000003};
  auto resolve = [&](const char* text, bool bytes) {
    const std::optional<SizeSpec> s = ParseSize(text);
    REQUIRE(s);
    return ResolveSize(*s, stats, bytes);
  };
  CHECK(resolve("5000", false) == 5000);
  CHECK(resolve("5000", true) == 5000);
  CHECK(resolve("1%", false) == 489);  // floor(489.74)
  CHECK(resolve("10%", false) == 4897);
  CHECK(resolve("100%", false) == 48974);
  CHECK(resolve("0.5%", false) == 244);
  CHECK(resolve("12.25%", false) == 5999);  // floor(5999.315)
  CHECK(resolve("1%", true) == 10000);      // floor(10000.03) bytes
  CHECK(resolve("10%", true) == 100000);
  // Exact where floating point is not: 10% of 186880 is 18688, not 18687.
  CHECK(ResolveSize(*ParseSize("10%"), TraceStats{186880, 0}, false) == 18688);
  for (const char* bad :
       {"", "0", "0%", "-1", "1.5", "101%", "abc", "1%%", "%", "1e3", "0.0000001%", "1k", " 5"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseSize(bad));
  }
}

TEST_CASE("options: the documented flags, both --flag value and --flag=value") {
  ParseResult r = Parse({"--trace", "t.gz", "--policy", "lru", "--size=1%,500", "--bytes",
                         "--shards", "64", "--plot", "out.svg", "--format", "oracle"});
  REQUIRE(r.options);
  const Options& o = *r.options;
  CHECK(o.trace_path == "t.gz");
  CHECK(o.format == TraceFormat::kOracle);
  CHECK(o.policies == std::vector<PolicyKind>{PolicyKind::kLru});
  REQUIRE(o.sizes.size() == 2);
  CHECK(o.sizes[0].percent);
  CHECK(o.sizes[1].absolute == 500);
  CHECK(o.bytes);
  CHECK(o.shards == 64);
  CHECK(o.plot_path == "out.svg");

  ParseResult d = Parse({"--trace", "t", "--policy", "lru", "--size", "10"});
  REQUIRE(d.options);
  CHECK(d.options->format == TraceFormat::kText);
  CHECK(d.options->shards == 1);
  CHECK_FALSE(d.options->bytes);
  CHECK(Parse({"--help"}).help);
}

TEST_CASE("options: bad flags and values are refused naming the flag and the value") {
  const std::pair<std::vector<const char*>, std::string> cases[] = {
      {{"--trace", "t", "--policy", "lru", "--size", "1", "--frobnicate"}, "'--frobnicate'"},
      {{"--trace", "t", "--policy", "lru", "--size", "1x"}, "--size: invalid value '1x'"},
      {{"--trace", "t", "--policy", "lru", "--size", "1%,,2%"}, "--size: invalid value '1%,,2%'"},
      {{"--trace", "t", "--policy", "lru,nope", "--size", "1"}, "--policy: invalid value 'nope'"},
      {{"--trace", "t", "--policy", "lru", "--size", "1", "--format", "csv"},
       "--format: invalid value 'csv'"},
      {{"--trace", "t", "--policy", "lru", "--size", "1", "--shards", "0"},
       "--shards: invalid value '0'"},
      {{"--trace", "t", "--policy", "lru", "--size", "1", "--bytes=yes"},
       "--bytes: takes no value"},
      {{"--trace", "t", "--policy", "lru", "--size"}, "--size: missing value"},
      {{"--policy", "lru", "--size", "1"}, "--trace: missing"},
      {{"--trace", "t", "--size", "1"}, "--policy: missing"},
      {{"--trace", "t", "--policy", "lru"}, "--size: missing"},
  };
  for (const auto& [args, want] : cases) {
    ParseResult r = Parse(args);
    CAPTURE(r.error);
    CHECK_FALSE(r.options);
    CHECK(r.error.find(want) != std::string::npos);
  }
}

TEST_CASE("a policy not built yet is refused, never run as another") {
  CHECK(PolicyImplemented(PolicyKind::kLru));
  CHECK(ImplementedPolicyNames().find("lru") != std::string::npos);
  for (std::string_view name : cache::policy::kPolicyNames) {
    const PolicyKind kind = *cache::policy::ParsePolicyKind(name);
    const std::string n(name);
    ParseResult r = Parse({"--trace", "t", "--policy", n.c_str(), "--size", "1"});
    if (PolicyImplemented(kind)) {
      CHECK(r.options);
      CHECK(std::string_view(MakeCaches(kind, 10, false).shards[0]->policy().name()) == name);
    } else {
      CAPTURE(n);
      CHECK_FALSE(r.options);
      CHECK(r.error.find("'" + n + "' is not implemented") != std::string::npos);
    }
  }
}

TEST_CASE("LRU replay: hand-computed misses by objects and by bytes") {
  const Trace t = Keys({1, 2, 3, 1, 4, 2, 5, 1});
  CHECK(Replay(t, PolicyKind::kLru, 2, false).misses == 8);
  CHECK(Replay(t, PolicyKind::kLru, 3, false).misses == 7);  // only the 4th request (1) hits
  CHECK(Replay(t, PolicyKind::kLru, 5, false).misses == 5);  // compulsory misses only
  const RunResult r = Replay(t, PolicyKind::kLru, 3, false);
  CHECK(r.requests == 8);
  CHECK(r.records == 8);
  CHECK(r.miss_ratio() == doctest::Approx(0.875));

  // 5 bytes: 1(2) 2(2) 1 hit, 3(3) evicts 2, 1 hits. A 6-byte object never fits.
  const Trace b = Keys({1, 2, 1, 3, 1, 9, 1}, {2, 2, 2, 3, 2, 6, 2});
  CHECK(Replay(b, PolicyKind::kLru, 5, true).misses == 4);
  CHECK(Replay(b, PolicyKind::kLru, 5, false).misses == 4);  // by objects: 1 2 3 9 miss
  CHECK(Replay(Trace{}, PolicyKind::kLru, 5, false).miss_ratio() == 0);
}

TEST_CASE("writes and deletes change the cache but not the request count") {
  Trace t;
  t.Add(1, 1, Op::kWrite);   // admitted, uncounted
  t.Add(1, 1, Op::kGet);     // hit
  t.Add(1, 1, Op::kDelete);  // removed
  t.Add(1, 1, Op::kGet);     // miss
  t.Add(2, 1, Op::kGet);     // miss
  const RunResult r = Replay(t, PolicyKind::kLru, 10, false);
  CHECK(r.requests == 3);
  CHECK(r.records == 5);
  CHECK(r.misses == 2);
}

TEST_CASE("N shards are N independent caches of capacity/N over the hash-split trace") {
  CHECK(ShardCapacities(10, 3) == std::vector<uint64_t>{4, 3, 3});
  CHECK(ShardCapacities(2, 4) == std::vector<uint64_t>{1, 1, 0, 0});
  std::vector<uint64_t> keys;
  uint64_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    keys.push_back((x >> 33) % (1 + (x >> 20) % 3000));  // skewed toward small keys
  }
  const Trace t = Keys(keys);
  for (uint32_t shards : {1u, 3u, 8u}) {
    CAPTURE(shards);
    const std::vector<uint64_t> caps = ShardCapacities(500, shards);
    std::vector<std::vector<uint64_t>> split(shards);
    for (uint64_t k : keys) split[ShardOf(k, shards)].push_back(k);
    uint64_t misses = 0;
    for (uint32_t s = 0; s < shards; ++s) {
      CHECK(split[s].size() > keys.size() / shards / 2);  // the hash spreads keys
      misses += Replay(Keys(split[s]), PolicyKind::kLru, caps[s], false).misses;
    }
    CHECK(Replay(t, PolicyKind::kLru, 500, false, shards).misses == misses);
  }
  // Adaptive's shards share one controller, as in the daemon; a single cache owns its own.
  const CacheSet one = MakeCaches(PolicyKind::kAdaptive, 500, false, 1);
  CHECK_FALSE(one.controller);
  CHECK(one.shards[0]->policy().controller() != nullptr);
  const CacheSet four = MakeCaches(PolicyKind::kAdaptive, 500, false, 4);
  REQUIRE(four.controller);
  for (const auto& c : four.shards) CHECK(c->policy().controller() == four.controller.get());
  const RunResult r = Replay(t, PolicyKind::kAdaptive, 500, false, 4);
  CHECK(r.misses > 0);
  CHECK(r.misses < r.requests);
}

TEST_CASE("result line and table format") {
  RunResult r;
  r.requests = 113872;
  r.misses = 95424;
  CHECK(ResultLine("lru", 489, r) ==
        "policy=lru size=489 requests=113872 misses=95424 miss_ratio=0.837994");
  const std::string table = MissRatioTable({{"1%", 489}, {"5000", 5000}},
                                           {{"lru", {0.5, 0.25}}, {"fifo", {0.75, 0.125}}}, false);
  CHECK(table ==
        "miss ratio by cache size (objects); rows: policy, columns: size\n"
        "policy    489 (1%)      5000\n"
        "lru       0.500000  0.250000\n"
        "fifo      0.750000  0.125000\n");
  const std::string svg =
      MissRatioSvg("t<1>", {{"1%", 489}, {"10%", 4897}}, {{"lru", {0.84, 0.8}}}, false);
  CHECK(svg.rfind("<svg ", 0) == 0);
  CHECK(svg.find("t&lt;1&gt;") != std::string::npos);
  CHECK(svg.find("<polyline") != std::string::npos);
  CHECK(svg.find(">lru</text>") != std::string::npos);
}

}  // namespace
}  // namespace kmd::sim
