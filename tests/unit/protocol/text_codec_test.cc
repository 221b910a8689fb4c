// Classic text commands through protocol::text::Parse: every command decoded, memcached 1.6.18's
// error texts for malformed lines, input split at every byte, thousands of pipelined requests.
#include "protocol/text/text_codec.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using kmd::protocol::Limits;
using kmd::protocol::ParseOutcome;
using kmd::protocol::text::Command;
using kmd::protocol::text::Parse;
using kmd::protocol::text::ParseResult;
using kmd::protocol::text::Request;

ParseResult P(std::string_view in, Request* req, Limits limits = {}) {
  return Parse(in, limits, req);
}

// The error reply of a one-line bad request.
std::string ErrorOf(std::string_view in) {
  Request req;
  ParseResult r = P(in, &req);
  if (r.outcome != ParseOutcome::kBad) return "<not bad>";
  return std::string(r.error);
}

std::vector<std::string> Keys(const Request& req) {
  std::vector<std::string> out;
  auto it = req.Keys();
  std::string_view k;
  while (it.Next(&k)) out.emplace_back(k);
  return out;
}

}  // namespace

TEST_CASE("get family decodes keys without allocation") {
  Request req;
  ParseResult r = P("get a bb  ccc\r\n", &req);
  REQUIRE(r.outcome == ParseOutcome::kComplete);
  CHECK(r.consumed == 15);
  CHECK(req.command == Command::kGet);
  CHECK(Keys(req) == std::vector<std::string>{"a", "bb", "ccc"});

  r = P("gets k\n", &req);
  REQUIRE(r.outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kGets);
  CHECK(r.consumed == 7);

  r = P("gat 100 x y\r\n", &req);
  REQUIRE(r.outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kGat);
  CHECK(req.exptime == 100);
  CHECK(Keys(req) == std::vector<std::string>{"x", "y"});

  r = P("gats -1 x\r\n", &req);
  CHECK(req.command == Command::kGats);
  CHECK(req.exptime == -1);

  // gat with no key answers END in memcached: a complete request with no keys.
  r = P("gat 10\r\n", &req);
  REQUIRE(r.outcome == ParseOutcome::kComplete);
  CHECK(Keys(req).empty());

  r = P("bget a\r\n", &req);
  CHECK(req.command == Command::kGet);
}

TEST_CASE("get with more keys than memcached's token limit keeps every key") {
  std::string line = "get";
  std::vector<std::string> want;
  for (int i = 0; i < 100; ++i) {
    want.push_back("key" + std::to_string(i));
    line += " " + want.back();
  }
  line += "\r\n";
  Request req;
  REQUIRE(P(line, &req).outcome == ParseOutcome::kComplete);
  CHECK(Keys(req) == want);
}

TEST_CASE("get errors") {
  CHECK(ErrorOf("get\r\n") == "ERROR");
  CHECK(ErrorOf("gat abc k\r\n") == "CLIENT_ERROR invalid exptime argument");
  CHECK(ErrorOf("gaz k\r\n") == "ERROR");
  CHECK(ErrorOf("get a " + std::string(251, 'k') + "\r\n") ==
        "CLIENT_ERROR bad command line format");
  Request req;
  CHECK(P("get " + std::string(250, 'k') + "\r\n", &req).outcome == ParseOutcome::kComplete);
}

TEST_CASE("storage commands carry flags, exptime, data and noreply") {
  Request req;
  ParseResult r = P("set foo 5 100 3\r\nbar\r\n", &req);
  REQUIRE(r.outcome == ParseOutcome::kComplete);
  CHECK(r.consumed == 22);
  CHECK(req.command == Command::kSet);
  CHECK(req.key() == "foo");
  CHECK(req.flags == 5);
  CHECK(req.exptime == 100);
  CHECK(req.data == "bar");
  CHECK_FALSE(req.noreply);

  r = P("add k 0 0 0 noreply\r\n\r\n", &req);
  REQUIRE(r.outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kAdd);
  CHECK(req.noreply);
  CHECK(req.data.empty());

  CHECK((P("replace k 0 0 1\r\nx\r\n", &req), req.command == Command::kReplace));
  CHECK((P("append k 0 0 1\r\nx\r\n", &req), req.command == Command::kAppend));
  CHECK((P("prepend k 0 0 1\r\nx\r\n", &req), req.command == Command::kPrepend));

  r = P("cas k 1 2 1 999\r\nx\r\n", &req);
  REQUIRE(r.outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kCas);
  CHECK(req.number == 999);

  // Data may contain "\r\n" itself: only the length counts.
  r = P("set k 0 0 4\r\na\r\nb\r\n", &req);
  REQUIRE(r.outcome == ParseOutcome::kComplete);
  CHECK(req.data == "a\r\nb");
}

TEST_CASE("storage command numbers follow memcached's strtol/strtoul rules") {
  Request req;
  // Flags past 32 bits truncate, exptime and length truncate to int32 (memcached's casts).
  REQUIRE(P("set k 4294967296 0 1\r\na\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.flags == 0);
  REQUIRE(P("set k 0 2147483648 1\r\na\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.exptime == INT32_MIN);
  REQUIRE(P("set k 0 0 4294967297\r\na\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.data == "a");
  REQUIRE(P("set k +1 0 +1\r\na\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.flags == 1);
  // A tab after the number ends it, as strtol's endptr check allows.
  REQUIRE(P("set k 0 0 1\tx\r\na\r\n", &req).outcome == ParseOutcome::kComplete);

  CHECK(ErrorOf("set k -1 0 1\r\n") == "CLIENT_ERROR bad command line format");
  CHECK(ErrorOf("set k 0 1.5 1\r\n") == "CLIENT_ERROR bad command line format");
  CHECK(ErrorOf("set k 0 0 -1\r\n") == "CLIENT_ERROR bad command line format");
  CHECK(ErrorOf("set k 0 0 abc\r\n") == "CLIENT_ERROR bad command line format");
  CHECK(ErrorOf("set k 0 0 99999999999999999999\r\n") == "CLIENT_ERROR bad command line format");
  CHECK(ErrorOf("cas k 0 0 1 -5\r\n") == "CLIENT_ERROR bad command line format");
  CHECK(ErrorOf("set k 0 0\r\n") == "ERROR");
  CHECK(ErrorOf("set k 0 0 1 noreply extra\r\n") == "ERROR");
  CHECK(ErrorOf("cas k 0 0 1\r\n") == "ERROR");
}

TEST_CASE("storage errors: key length, bad chunk, too large, noreply suppression") {
  Request req;
  ParseResult r = P("set " + std::string(251, 'k') + " 0 0 1\r\na\r\n", &req);
  REQUIRE(r.outcome == ParseOutcome::kBad);
  CHECK(r.error == "CLIENT_ERROR bad command line format");
  CHECK(r.swallow == 0);  // memcached then reads the data line as a command
  CHECK(r.consumed == 4 + 251 + 8);

  r = P("set k 0 0 3\r\nabcde\r\n", &req);
  REQUIRE(r.outcome == ParseOutcome::kBad);
  CHECK(r.error == "CLIENT_ERROR bad data chunk");
  CHECK(r.consumed == 13 + 5);  // the block of length+2 is read, the rest parses anew

  r = P("set k 0 0 1 noreply\r\nab\r\n", &req);
  REQUIRE(r.outcome == ParseOutcome::kBad);
  CHECK(r.error.empty());

  r = P("set k 0 0 abc noreply\r\n", &req);
  REQUIRE(r.outcome == ParseOutcome::kBad);
  CHECK(r.error.empty());

  Limits limits;
  limits.max_value = 100;
  r = P("set k 0 0 101\r\n", &req, limits);
  REQUIRE(r.outcome == ParseOutcome::kBad);
  CHECK(r.error == "SERVER_ERROR object too large for cache");
  CHECK(r.swallow == 103);
  CHECK(r.consumed == 15);
  CHECK(r.too_large);
  CHECK(req.command == Command::kSet);
  CHECK(req.key() == "k");

  r = P("set k 0 0 101 noreply\r\n", &req, limits);
  CHECK(r.error.empty());
  CHECK(r.swallow == 103);

  r = P("set k 0 0 100\r\n", &req, limits);
  CHECK(r.outcome == ParseOutcome::kNeedMore);
}

TEST_CASE("incr, decr, delete, touch") {
  Request req;
  REQUIRE(P("incr k 18446744073709551615\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kIncr);
  CHECK(req.number == UINT64_MAX);
  REQUIRE(P("decr k 5 noreply\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kDecr);
  CHECK(req.noreply);
  CHECK(ErrorOf("incr k -1\r\n") == "CLIENT_ERROR invalid numeric delta argument");
  CHECK(ErrorOf("incr k 18446744073709551616\r\n") ==
        "CLIENT_ERROR invalid numeric delta argument");
  CHECK(ErrorOf("incr k abc noreply\r\n").empty());
  CHECK(ErrorOf("incr k\r\n") == "ERROR");

  REQUIRE(P("delete k\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kDelete);
  CHECK(req.key() == "k");
  CHECK((P("delete k 0\r\n", &req).outcome == ParseOutcome::kComplete && !req.noreply));
  CHECK((P("delete k noreply\r\n", &req).outcome == ParseOutcome::kComplete && req.noreply));
  CHECK((P("delete k 0 noreply\r\n", &req).outcome == ParseOutcome::kComplete && req.noreply));
  const std::string usage = "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]";
  CHECK(ErrorOf("delete k 1\r\n") == usage);
  CHECK(ErrorOf("delete k noreply x\r\n") == usage);
  CHECK(ErrorOf("delete k 1 noreply\r\n").empty());
  CHECK(ErrorOf("delete\r\n") == "ERROR");
  CHECK(ErrorOf("delete k 0 noreply x\r\n") == "ERROR");

  REQUIRE(P("touch k 10\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kTouch);
  CHECK(req.exptime == 10);
  CHECK(ErrorOf("touch k abc\r\n") == "CLIENT_ERROR invalid exptime argument");
  CHECK(ErrorOf("touch k\r\n") == "ERROR");
}

TEST_CASE("flush_all, version, verbosity, stats, quit, shutdown") {
  Request req;
  REQUIRE(P("flush_all\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kFlushAll);
  CHECK_FALSE(req.has_exptime);
  REQUIRE(P("flush_all 10 noreply\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.has_exptime);
  CHECK(req.exptime == 10);
  CHECK(req.noreply);
  REQUIRE(P("flush_all noreply\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK_FALSE(req.has_exptime);
  CHECK(ErrorOf("flush_all abc\r\n") == "CLIENT_ERROR invalid exptime argument");
  CHECK(ErrorOf("flush_all 1 2 3\r\n") == "ERROR");

  CHECK((P("version\r\n", &req), req.command == Command::kVersion));
  CHECK((P("quit\r\n", &req), req.command == Command::kQuit));
  REQUIRE(P("verbosity 5\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.number == 2);  // clamped to memcached's MAX_VERBOSITY_LEVEL
  CHECK(ErrorOf("verbosity\r\n") == "ERROR");
  CHECK(ErrorOf("verbosity abc\r\n") == "CLIENT_ERROR bad command line format");
  CHECK(ErrorOf("verbosity abc noreply\r\n").empty());

  REQUIRE(P("stats items extra\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kStats);
  CHECK(req.ntokens == 3);
  CHECK(req.tokens[1] == "items");
  CHECK((P("shutdown graceful\r\n", &req), req.command == Command::kShutdown));
}

TEST_CASE("line framing: bare \\n, empty lines, unknown commands, NUL, case") {
  Request req;
  ParseResult r = P("version\n", &req);
  CHECK(r.consumed == 8);
  CHECK(ErrorOf("\r\n") == "ERROR");
  CHECK(ErrorOf("\n") == "ERROR");
  CHECK(ErrorOf("x\r\n") == "ERROR");
  CHECK(ErrorOf("GET k\r\n") == "ERROR");
  CHECK(ErrorOf("bogus\r\n") == "ERROR");
  CHECK(ErrorOf("slabs reassign 1 2\r\n") == "ERROR");
  // The line is a C string to memcached: it ends at NUL.
  const std::string with_nul("get a\0b\r\n", 9);  // outlives req, whose keys point into it
  r = P(with_nul, &req);
  REQUIRE(r.outcome == ParseOutcome::kComplete);
  CHECK(r.consumed == 9);
  CHECK(Keys(req) == std::vector<std::string>{"a"});
}

TEST_CASE("long lines without newline: close unless a multi-get") {
  Request req;
  Limits limits;
  CHECK(P(std::string(2048, 'x'), &req, limits).outcome == ParseOutcome::kNeedMore);
  ParseResult r = P(std::string(2049, 'x'), &req, limits);
  CHECK(r.close);
  r = P("set " + std::string(3000, 'k'), &req, limits);
  CHECK(r.close);
  r = P("get " + std::string(3000, 'k'), &req, limits);
  CHECK_FALSE(r.close);
  CHECK(r.outcome == ParseOutcome::kNeedMore);
  r = P("   gets " + std::string(3000, 'k'), &req, limits);
  CHECK_FALSE(r.close);
  limits.max_multiget_line = 4000;
  r = P("get " + std::string(5000, 'k'), &req, limits);
  CHECK(r.close);
  // With its newline a long line is processed (memcached answers the key error).
  CHECK(ErrorOf("set " + std::string(3000, 'k') + " 0 0 1\r\n") ==
        "CLIENT_ERROR bad command line format");
}

TEST_CASE("a request split at every byte needs more until complete") {
  const std::string streams[] = {"set foo 1 2 5\r\nhello\r\n",
                                 "get a b c\r\n",
                                 "cas k 0 0 2 77 noreply\r\nxy\r\n",
                                 "incr n 5\r\n",
                                 "delete k 0\r\n",
                                 "flush_all 5\r\n"};
  for (const std::string& s : streams) {
    Request req;
    for (size_t cut = 0; cut < s.size(); ++cut) {
      ParseResult r = P(std::string_view(s).substr(0, cut), &req);
      CHECK(r.outcome == ParseOutcome::kNeedMore);
      CHECK(r.consumed == 0);
    }
    ParseResult r = P(s, &req);
    CHECK(r.outcome == ParseOutcome::kComplete);
    CHECK(r.consumed == s.size());
  }
}

TEST_CASE("thousands of pipelined requests parse back to back") {
  std::string in;
  const int kCount = 5000;
  for (int i = 0; i < kCount; ++i) {
    // append, not "literal" + std::to_string(): g++ 12 warns falsely (-Wrestrict) on the latter.
    const std::string key = std::string("k").append(std::to_string(i));
    in += "set " + key + " 0 0 " + std::to_string(key.size()) + "\r\n" + key + "\r\n";
    in += "get " + key + "\r\n";
  }
  size_t pos = 0;
  int sets = 0;
  int gets = 0;
  Request req;
  while (pos < in.size()) {
    ParseResult r = P(std::string_view(in).substr(pos), &req);
    REQUIRE(r.outcome == ParseOutcome::kComplete);
    if (req.command == Command::kSet) {
      CHECK(req.data == req.key());
      ++sets;
    } else {
      CHECK(req.command == Command::kGet);
      ++gets;
    }
    pos += r.consumed;
  }
  CHECK(sets == kCount);
  CHECK(gets == kCount);
}

TEST_CASE("number helpers match memcached's safe_strto*") {
  using namespace kmd::protocol::text;
  int32_t i = 0;
  uint32_t u = 0;
  uint64_t ull = 0;
  CHECK((ParseInt32("-5", &i) && i == -5));
  CHECK((ParseInt32(" 7", &i) && i == 7));
  CHECK_FALSE(ParseInt32("", &i));
  CHECK_FALSE(ParseInt32("5x", &i));
  CHECK_FALSE(ParseInt32("9223372036854775808", &i));
  CHECK((ParseInt32("-9223372036854775808", &i) && i == 0));
  CHECK_FALSE(ParseUint32("-1", &u));
  CHECK((ParseUint32("-0", &u) && u == 0));
  CHECK((ParseUint64("18446744073709551615", &ull) && ull == UINT64_MAX));
  CHECK_FALSE(ParseUint64("18446744073709551616", &ull));
  CHECK_FALSE(ParseUint64("-9223372036854775807", &ull));
}

// memcached t/malicious-commands.t: an unknown command whose last token starts with "HTTP/" is
// hung up on without a reply; other unknown lines still get ERROR (checked against 1.6.18).
TEST_CASE("malicious-commands.t: HTTP request lines close the connection silently") {
  for (std::string_view line :
       {"GET / HTTP/1.0\r\n", "PUT /asdf/asd/fasdfasdf/sadf HTTP/1.1\r\n", "DELETE HTTP/1.1\r\n",
        "foo HTTP/1.1\r\n", "HTTP/1.1\r\n", "gx / HTTP/1.0\r\n"}) {
    CAPTURE(line);
    Request req;
    ParseResult r = P(line, &req);
    CHECK(r.outcome == ParseOutcome::kBad);
    CHECK(r.close);
    CHECK(r.error.empty());
  }
  for (std::string_view line : {"foo HTTP/1.1 bar\r\n", "xx http/1.1\r\n", "boguscommand x\r\n"}) {
    CAPTURE(line);
    Request req;
    ParseResult r = P(line, &req);
    CHECK(r.outcome == ParseOutcome::kBad);
    CHECK_FALSE(r.close);
    CHECK(r.error == "ERROR");
  }
  // A known command keeps its meaning even with an HTTP-looking key.
  Request req;
  CHECK(P("get foo HTTP/1.1\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(Keys(req) == std::vector<std::string>{"foo", "HTTP/1.1"});
}
