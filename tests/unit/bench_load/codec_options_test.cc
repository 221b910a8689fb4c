// kmd-load wire codec and CLI: requests compose to the bytes each protocol specifies, replies parse
// incrementally (split at every byte) into hits, misses and errors, garbage is rejected, and bad
// command-line values are refused with a message naming the option and the value.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "bench/load/codec.h"
#include "bench/load/options.h"

namespace kmd::bench {
namespace {

std::string Set(Protocol p, std::string_view key, std::string_view value, uint32_t expiry) {
  std::string out(MaxSetRequestSize(key.size(), value.size()), '\0');
  out.resize(ComposeSet(p, out.data(), key, value.data(), value.size(), expiry));
  return out;
}

std::string Get(Protocol p, std::vector<std::string_view> keys) {
  std::string out(MaxGetRequestSize(16, keys.size()), '\0');
  out.resize(ComposeGet(p, out.data(), keys.data(), keys.size()));
  return out;
}

// Feeds `reply` in pieces of `step` bytes (as reads would), keeping unconsumed bytes.
ParseStatus Feed(Protocol proto, const std::string& reply, Pending& p, size_t step) {
  std::string buf;
  size_t fed = 0;
  for (;;) {
    size_t n = std::min(step, reply.size() - fed);
    buf.append(reply, fed, n);
    fed += n;
    size_t used = 0;
    ParseStatus st = ParseReply(proto, buf.data(), buf.size(), p, used);
    buf.erase(0, used);
    if (st != ParseStatus::kNeedMore) {
      if (st == ParseStatus::kComplete) REQUIRE(buf.empty());
      return st;
    }
    if (fed == reply.size()) return st;
  }
}

Pending GetOf(uint32_t keys) {
  Pending p;
  p.kind = RequestKind::kGet;
  p.keys = keys;
  return p;
}

TEST_CASE("text and meta requests") {
  CHECK(Set(Protocol::kText, "k1", "abc", 0) == "set k1 0 0 3\r\nabc\r\n");
  CHECK(Set(Protocol::kMeta, "k1", "abc", 60) == "ms k1 3 T60\r\nabc\r\n");
  CHECK(Get(Protocol::kText, {"a", "b"}) == "get a b\r\n");
  CHECK(Get(Protocol::kMeta, {"a"}) == "mg a v\r\n");
  CHECK(Get(Protocol::kMeta, {"a", "b"}) == "mg a v q\r\nmg b v q\r\nmn\r\n");
  CHECK(Set(Protocol::kResp, "k", "vv", 0) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nvv\r\n");
  CHECK(Set(Protocol::kResp, "k", "v", 5) ==
        "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nEX\r\n$1\r\n5\r\n");
  CHECK(Get(Protocol::kResp, {"a", "bc"}) == "*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$2\r\nbc\r\n");
}

TEST_CASE("binary requests: set header and extras, multiget is GetKQ... Noop") {
  std::string s = Set(Protocol::kBinary, "key", "val", 7);
  REQUIRE(s.size() == 24 + 8 + 3 + 3);
  CHECK(static_cast<uint8_t>(s[0]) == 0x80);
  CHECK(s[1] == 0x01);
  CHECK(s[3] == 3);       // key length
  CHECK(s[4] == 8);       // extras
  CHECK(s[11] == 14);     // body length
  CHECK(s[24 + 7] == 7);  // expiry
  CHECK(s.substr(32) == "keyval");
  std::string g = Get(Protocol::kBinary, {"a", "b"});
  REQUIRE(g.size() == 25 * 2 + 24);
  CHECK(g[1] == 0x0d);
  CHECK(g[26] == 0x0d);
  CHECK(g[51] == 0x0a);
}

TEST_CASE("text multiget reply split at every byte") {
  std::string reply = "VALUE a 0 3\r\nabc\r\nVALUE c 0 0\r\n\r\nEND\r\n";
  for (size_t step = 1; step <= reply.size(); ++step) {
    Pending p = GetOf(3);
    REQUIRE(Feed(Protocol::kText, reply, p, step) == ParseStatus::kComplete);
    CHECK(p.hits == 2);
    CHECK_FALSE(p.error);
  }
}

TEST_CASE("meta replies: single hit, single miss, quiet batch") {
  Pending hit = GetOf(1), miss = GetOf(1), batch = GetOf(3);
  CHECK(Feed(Protocol::kMeta, "VA 2\r\nhi\r\n", hit, 1) == ParseStatus::kComplete);
  CHECK(hit.hits == 1);
  CHECK(Feed(Protocol::kMeta, "EN\r\n", miss, 1) == ParseStatus::kComplete);
  CHECK(miss.hits == 0);
  CHECK(Feed(Protocol::kMeta, "VA 1\r\nx\r\nMN\r\n", batch, 3) == ParseStatus::kComplete);
  CHECK(batch.hits == 1);
  Pending set;
  set.kind = RequestKind::kSet;
  CHECK(Feed(Protocol::kMeta, "HD\r\n", set, 1) == ParseStatus::kComplete);
  CHECK_FALSE(set.error);
}

TEST_CASE("RESP replies") {
  Pending mget = GetOf(3);
  CHECK(Feed(Protocol::kResp, "*3\r\n$1\r\na\r\n$-1\r\n$0\r\n\r\n", mget, 2) ==
        ParseStatus::kComplete);
  CHECK(mget.hits == 2);
  Pending miss = GetOf(1);
  CHECK(Feed(Protocol::kResp, "$-1\r\n", miss, 1) == ParseStatus::kComplete);
  CHECK(miss.hits == 0);
  Pending err = GetOf(1);
  CHECK(Feed(Protocol::kResp, "-ERR no\r\n", err, 4) == ParseStatus::kComplete);
  CHECK(err.error);
}

TEST_CASE("binary replies: hit, miss, GetKQ batch closed by Noop, error status") {
  auto header = [](uint8_t op, uint16_t status, uint32_t body) {
    std::string h(24, '\0');
    h[0] = static_cast<char>(0x81);
    h[1] = static_cast<char>(op);
    h[6] = static_cast<char>(status >> 8);
    h[7] = static_cast<char>(status);
    h[11] = static_cast<char>(body);
    return h;
  };
  Pending hit = GetOf(1);
  CHECK(Feed(Protocol::kBinary, header(0, 0, 7) + "flagval", hit, 5) == ParseStatus::kComplete);
  CHECK(hit.hits == 1);
  Pending miss = GetOf(1);
  CHECK(Feed(Protocol::kBinary, header(0, 1, 9) + "Not found", miss, 24) == ParseStatus::kComplete);
  CHECK(miss.hits == 0);
  CHECK_FALSE(miss.error);
  Pending batch = GetOf(4);
  std::string r = header(0x0d, 0, 5) + "flagk" + header(0x0d, 0, 5) + "flagk" + header(0x0a, 0, 0);
  CHECK(Feed(Protocol::kBinary, r, batch, 1) == ParseStatus::kComplete);
  CHECK(batch.hits == 2);
  Pending set;
  set.kind = RequestKind::kSet;
  CHECK(Feed(Protocol::kBinary, header(1, 0x82, 0), set, 24) == ParseStatus::kComplete);
  CHECK(set.error);
}

TEST_CASE("garbage is a broken stream, an error status is not") {
  Pending p = GetOf(1);
  CHECK(Feed(Protocol::kText, "HELLO\r\n", p, 100) == ParseStatus::kBad);
  Pending q = GetOf(1);
  CHECK(Feed(Protocol::kText, "SERVER_ERROR out of memory\r\n", q, 100) == ParseStatus::kComplete);
  CHECK(q.error);
  Pending b = GetOf(1);
  CHECK(Feed(Protocol::kBinary, std::string(24, 'x'), b, 24) == ParseStatus::kBad);
}

TEST_CASE("keys are padded to --key-size") {
  char buf[256];
  CHECK(std::string_view(buf, FormatKey(buf, "key:", 42, 16)) == "key:000000000042");
  CHECK(std::string_view(buf, FormatKey(buf, "key:", 42, 0)) == "key:42");
}

ParseResult Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "kmd-load");
  return ParseOptions(static_cast<int>(args.size()), args.data());
}

TEST_CASE("options: a full command line parses") {
  auto r = Parse({"--server",
                  "127.0.0.1:11311",
                  "--protocol",
                  "meta",
                  "--threads=2",
                  "--connections",
                  "4",
                  "--pipeline",
                  "16",
                  "--ratio",
                  "1:1",
                  "--key-pattern",
                  "zipf",
                  "--zipf-exp",
                  "1.1",
                  "--value-list",
                  "100:0.6,1000:0.4",
                  "--multiget",
                  "10",
                  "--expiry-range",
                  "60-600",
                  "--requests",
                  "1000",
                  "--prefill",
                  "--rate",
                  "5000",
                  "--idle-connections",
                  "10",
                  "--json",
                  "o.json",
                  "--seed",
                  "9"});
  REQUIRE(r.options);
  const Options& o = *r.options;
  CHECK(o.port == 11311);
  CHECK(o.protocol == Protocol::kMeta);
  CHECK(o.total_connections() == 8);
  CHECK(o.key_pattern == KeyPattern::kZipf);
  CHECK(o.value_list.size() == 2);
  CHECK(o.expiry_hi == 600);
  CHECK(o.prefill);
  CHECK(o.rate == 5000);
}

TEST_CASE("options: bad values name the option and the value") {
  struct Case {
    std::vector<const char*> args;
    const char* must_contain;
  };
  std::vector<Case> cases = {
      {{"--server", "localhost", "--protocol", "text"}, "--server: invalid value 'localhost'"},
      {{"--server", "h:1", "--protocol", "udp"}, "--protocol: invalid value 'udp'"},
      {{"--server", "h:1", "--protocol", "text", "--threads", "0"}, "--threads: invalid value '0'"},
      {{"--server", "h:1", "--protocol", "text", "--ratio", "0:0"}, "--ratio: invalid value '0:0'"},
      {{"--server", "h:1", "--protocol", "text", "--value-range", "9-3"}, "--value-range"},
      {{"--server", "h:1", "--protocol", "text", "--value-list", "100:0"}, "--value-list"},
      {{"--server", "h:1", "--protocol", "text", "--key-pattern", "pareto"}, "'pareto'"},
      {{"--server", "h:1", "--protocol", "text", "--key-size", "4"},
       "--key-size: invalid value '4'"},
      {{"--server", "h:1", "--protocol", "text", "--bogus", "1"}, "unknown option '--bogus'"},
      {{"--server", "h:1", "--protocol", "text", "--duration", "5", "--requests", "9"},
       "--duration, --requests"},
      {{"--protocol", "text"}, "--server: missing"},
      {{"--server", "h:1", "--protocol", "text", "--pipeline"}, "--pipeline: missing value"},
  };
  for (auto& c : cases) {
    auto r = Parse(c.args);
    CAPTURE(c.must_contain);
    CHECK_FALSE(r.options);
    CHECK(r.error.find(c.must_contain) != std::string::npos);
  }
}

}  // namespace
}  // namespace kmd::bench
