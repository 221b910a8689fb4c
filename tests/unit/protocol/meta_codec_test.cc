// Meta commands through protocol::text::Parse: every flag decoded, memcached 1.6.18's errors,
// base64 keys, the ms data block, reply-line composers.
#include <doctest/doctest.h>

#include <string>

#include "protocol/text/text_codec.h"

namespace {

using kmd::protocol::Limits;
using kmd::protocol::ParseOutcome;
using kmd::protocol::text::Command;
using kmd::protocol::text::MetaLine;
using kmd::protocol::text::Parse;
using kmd::protocol::text::ParseResult;
using kmd::protocol::text::Request;

ParseResult P(std::string_view in, Request* req, Limits limits = {}) {
  return Parse(in, limits, req);
}

std::string ErrorOf(std::string_view in) {
  Request req;
  ParseResult r = P(in, &req);
  if (r.outcome != ParseOutcome::kBad) return "<not bad>";
  return std::string(r.error);
}

}  // namespace

TEST_CASE("mg decodes every flag in order") {
  Request req;
  ParseResult r = P("mg foo s v f t c k O123 h l q u T30 N40 R50\r\n", &req);
  REQUIRE(r.outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kMetaGet);
  CHECK(req.key() == "foo");
  const auto& m = req.meta;
  REQUIRE(m.count == 14);
  CHECK(m.flags[0].flag == 's');
  CHECK(m.flags[6].flag == 'O');
  CHECK(m.flags[6].token == "123");
  CHECK(m.value);
  CHECK(m.no_reply);
  CHECK(m.no_update);
  CHECK((m.has_ttl && m.ttl == 30));
  CHECK((m.vivify && m.vivify_ttl == 40));
  CHECK((m.has_recache && m.recache_ttl == 50));
  CHECK(m.Has('h'));
  CHECK_FALSE(m.Has('E'));
}

TEST_CASE("ms decodes length, flags, modes and the data block") {
  Request req;
  ParseResult r = P("ms foo 2 T10 F5 C99 I MA c k O9 q E12\r\nhi\r\n", &req);
  REQUIRE(r.outcome == ParseOutcome::kComplete);
  CHECK(r.consumed == 43);
  CHECK(req.command == Command::kMetaSet);
  CHECK(req.data == "hi");
  const auto& m = req.meta;
  CHECK(m.ttl == 10);
  CHECK(m.client_flags == 5);
  CHECK((m.has_cas && m.cas == 99));
  CHECK(m.set_stale);
  CHECK(m.mode == 'A');
  CHECK(m.no_reply);
  CHECK((m.has_new_cas && m.new_cas == 12));

  for (const char* mode : {"ME", "MA", "MP", "MR", "MS"}) {
    std::string line = std::string("ms k 1 ") + mode + "\r\nx\r\n";
    CHECK(P(line, &req).outcome == ParseOutcome::kComplete);
  }
}

TEST_CASE("ms errors and swallowing as memcached") {
  Request req;
  ParseResult r = P("ms foo\r\n", &req);
  CHECK(r.error == "CLIENT_ERROR bad command line format");
  CHECK(r.swallow == 0);
  r = P("ms foo abc\r\n", &req);
  CHECK(r.error == "CLIENT_ERROR bad command line format");
  CHECK(r.swallow == 0);
  r = P("ms foo -1\r\n", &req);
  CHECK(r.error == "CLIENT_ERROR bad command line format");
  r = P("ms foo 2 MX\r\nhi\r\n", &req);
  CHECK(r.error == "CLIENT_ERROR invalid mode for ms M token");
  CHECK(r.swallow == 4);
  CHECK(r.consumed == 13);
  r = P("ms foo 2 T5x\r\nhi\r\n", &req);
  CHECK(r.error == "CLIENT_ERROR bad token in command line format");
  CHECK(r.swallow == 4);
  r = P("ms foo 2 F-1\r\nhi\r\n", &req);
  CHECK(r.error == "CLIENT_ERROR bad command line format");
  r = P("ms foo 2 b\r\nhi\r\n", &req);
  CHECK(r.error == "CLIENT_ERROR error decoding key");
  CHECK(r.swallow == 4);
  r = P("ms foo 2 MXX\r\nhi\r\n", &req);
  CHECK(r.error == "CLIENT_ERROR incorrect length for M token");
  r = P("ms a 2 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\r\nhi\r\n", &req);
  CHECK(r.error == "CLIENT_ERROR options flags too long");
  CHECK(r.swallow == 0);
  // Data errors are never hidden by q.
  r = P("ms foo 2 q\r\nhixx\r\n", &req);
  CHECK(r.error == "CLIENT_ERROR bad data chunk");
  CHECK(r.consumed == 16);
  Limits limits;
  limits.max_value = 10;
  r = P("ms foo 11 T1\r\n", &req, limits);
  CHECK(r.error == "SERVER_ERROR object too large for cache");
  CHECK(r.swallow == 13);
  CHECK(r.too_large);
}

TEST_CASE("mg, md, ma errors as memcached") {
  CHECK(ErrorOf("mg\r\n") == "ERROR");
  CHECK(ErrorOf("mx foo\r\n") == "ERROR");
  CHECK(ErrorOf("mg foo a\r\n") == "CLIENT_ERROR invalid flag");
  CHECK(ErrorOf("mg foo v v\r\n") == "CLIENT_ERROR duplicate flag");
  CHECK(ErrorOf("mg foo \x80\r\n") == "CLIENT_ERROR duplicate flag");
  CHECK(ErrorOf("mg foo O123456789012345678901234567890123\r\n") ==
        "CLIENT_ERROR opaque token too long");
  CHECK(ErrorOf("mg " + std::string(251, 'a') + " v\r\n") ==
        "CLIENT_ERROR bad command line format");
  CHECK(ErrorOf("mg a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\r\n") ==
        "CLIENT_ERROR options flags are too long");
  CHECK(ErrorOf("mg a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\r\n") ==
        "CLIENT_ERROR invalid flag");
  CHECK(ErrorOf("mg k1 Tabc\r\n") == "CLIENT_ERROR bad token in command line format");
  CHECK(ErrorOf("mg !!! b v\r\n") == "CLIENT_ERROR error decoding key");
  CHECK(ErrorOf("mg Zm9 b\r\n") == "CLIENT_ERROR error decoding key");

  CHECK(ErrorOf("md foo z\r\n") == "CLIENT_ERROR invalid or duplicate flag");
  CHECK(ErrorOf("md foo O" + std::string(40, '1') + "\r\n") ==
        "CLIENT_ERROR opaque token too long");
  CHECK(ErrorOf("md a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\r\n") ==
        "CLIENT_ERROR options flags too long");
  CHECK(ErrorOf("ma cnt MX\r\n") == "CLIENT_ERROR invalid mode for ma M token");
  CHECK(ErrorOf("ma cnt D-1\r\n") == "CLIENT_ERROR invalid or duplicate flag");
  CHECK(ErrorOf("ma cnt Jx\r\n") == "CLIENT_ERROR invalid or duplicate flag");

  CHECK(ErrorOf("me\r\n") == "CLIENT_ERROR bad command line format");
  CHECK(ErrorOf("me a b\r\n") == "CLIENT_ERROR bad command line format");
}

TEST_CASE("ma, md, mn, me decode") {
  Request req;
  REQUIRE(P("ma cnt N0 J10 D3 MD v t c\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kMetaArithmetic);
  CHECK(req.meta.initial == 10);
  CHECK(req.meta.delta == 3);
  CHECK(req.meta.mode == 'D');
  REQUIRE(P("ma cnt\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.meta.delta == 1);

  REQUIRE(P("md foo I T30 C5 q x\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kMetaDelete);
  CHECK(req.meta.set_stale);
  CHECK(req.meta.ttl == 30);
  CHECK(req.meta.remove_value);

  REQUIRE(P("mn\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kMetaNoop);
  REQUIRE(P("me foo\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.command == Command::kMetaDebug);
  REQUIRE(P("me Zm9v b\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.key() == "foo");
}

TEST_CASE("base64 keys decode and encode as memcached's base64.c") {
  Request req;
  REQUIRE(P("mg Zm9vYmFy b v\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.key() == "foobar");
  CHECK(req.raw_key == "Zm9vYmFy");
  REQUIRE(P("ms AAE= 1 b\r\nx\r\n", &req).outcome == ParseOutcome::kComplete);
  CHECK(req.key() == std::string("\x00\x01", 2));

  using kmd::protocol::text::Base64Decode;
  using kmd::protocol::text::Base64Encode;
  char buf[64];
  CHECK(Base64Decode("Zm9v", buf, sizeof buf) == 3);
  CHECK(Base64Decode("Zm9vYg==", buf, sizeof buf) == 4);
  CHECK(Base64Decode("Zm9vYmE=", buf, sizeof buf) == 5);
  CHECK(Base64Decode("Zm9", buf, sizeof buf) == 0);
  CHECK(Base64Decode("====", buf, sizeof buf) == 0);
  CHECK(Base64Decode("Zm!9v", buf, sizeof buf) == 3);  // outside the alphabet: skipped
  CHECK(std::string_view(buf, Base64Encode("foob", buf)) == "Zm9vYg==");
  CHECK(std::string_view(buf, Base64Encode("fooba", buf)) == "Zm9vYmE=");
}

TEST_CASE("meta requests split at every byte and pipelined") {
  const std::string s = "ms foo 5 T10 c\r\nhello\r\nmg foo v c\r\nmd foo q\r\nma n N0\r\nmn\r\n";
  size_t pos = 0;
  int complete = 0;
  Request req;
  while (pos < s.size()) {
    std::string_view rest = std::string_view(s).substr(pos);
    size_t need = 0;
    for (size_t cut = 0; cut <= rest.size(); ++cut) {
      ParseResult r = P(rest.substr(0, cut), &req);
      if (r.outcome != ParseOutcome::kNeedMore) {
        REQUIRE(r.outcome == ParseOutcome::kComplete);
        need = r.consumed;
        CHECK(cut == need);
        break;
      }
    }
    REQUIRE(need > 0);
    pos += need;
    ++complete;
  }
  CHECK(complete == 5);
}

TEST_CASE("reply composers") {
  MetaLine line("VA 2");
  line.Flag('s', 2).FlagSigned('t', -1).Flag('c', 31).Opaque("O123").Key("foo", false).Flag('W');
  CHECK(line.Finish() == "VA 2 s2 t-1 c31 O123 kfoo W\r\n");
  MetaLine bin("HD");
  bin.Key("foo", true);
  CHECK(bin.Finish() == "HD kZm9v b\r\n");
  char buf[kmd::protocol::text::kMaxValueLine];
  uint64_t cas = 42;
  char* end = kmd::protocol::text::WriteValueLine(buf, "k", 7, 3, &cas);
  CHECK(std::string_view(buf, static_cast<size_t>(end - buf)) == "VALUE k 7 3 42\r\n");
  end = kmd::protocol::text::WriteValueLine(buf, "k", 0, 0, nullptr);
  CHECK(std::string_view(buf, static_cast<size_t>(end - buf)) == "VALUE k 0 0\r\n");
}
