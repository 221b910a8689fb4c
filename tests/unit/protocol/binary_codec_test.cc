// Binary codec tests: every opcode round-trips through EncodeRequest/Parse, input split at every
// byte and thousands of pipelined requests parse identically, and each malformed shape gets the
// answer and stream handling memcached 1.6.18 gives it (verified against /usr/bin/memcached).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "protocol/binary/codec.h"

namespace kmd::protocol::binary {
namespace {

struct Case {
  Opcode op;
  std::string key;
  std::string extras;
  std::string value;
};

std::vector<Case> AllServedOpcodes() {
  return {
      {Opcode::kGet, "k", "", ""},
      {Opcode::kGetQ, "k", "", ""},
      {Opcode::kGetK, "key", "", ""},
      {Opcode::kGetKQ, "key", "", ""},
      {Opcode::kSet, "k", StoreExtras(7, 100), "value"},
      {Opcode::kSetQ, "k", StoreExtras(7, 100), "value"},
      {Opcode::kAdd, "k", StoreExtras(1, 2), ""},
      {Opcode::kAddQ, "k", StoreExtras(1, 2), "v"},
      {Opcode::kReplace, "k", StoreExtras(0xffffffff, 0), "vv"},
      {Opcode::kReplaceQ, "k", StoreExtras(3, 4), "vvv"},
      {Opcode::kDelete, "k", "", ""},
      {Opcode::kDeleteQ, "k", "", ""},
      {Opcode::kIncrement, "n", ArithExtras(5, 10, 0), ""},
      {Opcode::kIncrementQ, "n", ArithExtras(5, 10, 0), ""},
      {Opcode::kDecrement, "n", ArithExtras(1, 0, kArithNoCreate), ""},
      {Opcode::kDecrementQ, "n", ArithExtras(1, 0, 9), ""},
      {Opcode::kAppend, "k", "", "tail"},
      {Opcode::kAppendQ, "k", "", "tail"},
      {Opcode::kPrepend, "k", "", "head"},
      {Opcode::kPrependQ, "k", "", "head"},
      {Opcode::kQuit, "", "", ""},
      {Opcode::kQuitQ, "", "", ""},
      {Opcode::kFlush, "", "", ""},
      {Opcode::kFlush, "", ExptimeExtras(30), ""},
      {Opcode::kFlushQ, "", ExptimeExtras(0), ""},
      {Opcode::kNoop, "", "", ""},
      {Opcode::kVersion, "", "", ""},
      {Opcode::kStat, "", "", ""},
      {Opcode::kStat, "settings", "", ""},
      {Opcode::kTouch, "k", ExptimeExtras(10), ""},
      {Opcode::kGat, "k", ExptimeExtras(10), ""},
      {Opcode::kGatQ, "k", ExptimeExtras(10), ""},
      {Opcode::kGatK, "k", ExptimeExtras(10), ""},
      {Opcode::kGatKQ, "k", ExptimeExtras(10), ""},
  };
}

ParseResult ParseAll(std::string_view in, Request* req) { return Parse(in, Limits{}, req); }

TEST_CASE("every served opcode encodes and decodes") {
  for (const Case& c : AllServedOpcodes()) {
    CAPTURE(static_cast<int>(c.op));
    std::string wire =
        EncodeRequest(c.op, c.key, c.extras, c.value, 0xdeadbeef, 0x0102030405060708);
    REQUIRE(wire.size() == kHeaderSize + c.key.size() + c.extras.size() + c.value.size());
    Request req;
    ParseResult r = ParseAll(wire, &req);
    REQUIRE(r.outcome == ParseOutcome::kComplete);
    CHECK(r.consumed == wire.size());
    CHECK(req.opcode == c.op);
    CHECK(req.key == c.key);
    CHECK(req.extras == c.extras);
    CHECK(req.value == c.value);
    CHECK(req.opaque == 0xdeadbeef);
    CHECK(req.cas == 0x0102030405060708);
    CHECK(req.key_length == c.key.size());
    CHECK(req.extras_length == c.extras.size());
    CHECK(req.body_length == c.key.size() + c.extras.size() + c.value.size());
  }
}

TEST_CASE("extras are decoded per opcode") {
  Request req;
  std::string set = EncodeRequest(Opcode::kSet, "k", StoreExtras(0xcafebabe, 3600), "v");
  REQUIRE(ParseAll(set, &req).outcome == ParseOutcome::kComplete);
  CHECK(req.flags == 0xcafebabe);
  CHECK(req.exptime == 3600);

  std::string incr =
      EncodeRequest(Opcode::kIncrement, "n", ArithExtras(0xffffffffffffffff, 42, kArithNoCreate));
  REQUIRE(ParseAll(incr, &req).outcome == ParseOutcome::kComplete);
  CHECK(req.delta == 0xffffffffffffffff);
  CHECK(req.initial == 42);
  CHECK(req.exptime == kArithNoCreate);

  std::string gat = EncodeRequest(Opcode::kGat, "k", ExptimeExtras(77));
  REQUIRE(ParseAll(gat, &req).outcome == ParseOutcome::kComplete);
  CHECK(req.exptime == 77);

  std::string flush = EncodeRequest(Opcode::kFlush, "", ExptimeExtras(5));
  REQUIRE(ParseAll(flush, &req).outcome == ParseOutcome::kComplete);
  CHECK(req.has_flush_delay);
  CHECK(req.flush_delay == 5);
  REQUIRE(ParseAll(EncodeRequest(Opcode::kFlush), &req).outcome == ParseOutcome::kComplete);
  CHECK_FALSE(req.has_flush_delay);
}

TEST_CASE("a request split at every byte boundary needs more until complete") {
  std::string wire;
  for (const Case& c : AllServedOpcodes()) wire += EncodeRequest(c.op, c.key, c.extras, c.value, 1);
  // Walk the stream; at every cut position inside each request, the prefix must be kNeedMore.
  size_t pos = 0;
  int requests = 0;
  while (pos < wire.size()) {
    Request full;
    ParseResult whole = ParseAll(std::string_view(wire).substr(pos), &full);
    REQUIRE(whole.outcome == ParseOutcome::kComplete);
    for (size_t cut = 0; cut < whole.consumed; ++cut) {
      std::string prefix = wire.substr(pos, cut);  // own copy: no reading past the cut
      Request part;
      ParseResult r = ParseAll(prefix, &part);
      CHECK(r.outcome == ParseOutcome::kNeedMore);
      CHECK(r.consumed == 0);
    }
    pos += whole.consumed;
    ++requests;
  }
  CHECK(requests == static_cast<int>(AllServedOpcodes().size()));
}

TEST_CASE("thousands of pipelined requests in one buffer") {
  std::string wire;
  const int kCount = 5000;
  for (int i = 0; i < kCount; ++i) {
    std::string key = "key:" + std::to_string(i);
    if (i % 3 == 0) {
      wire += EncodeRequest(Opcode::kSetQ, key, StoreExtras(i, 0), std::string(i % 17, 'x'), i);
    } else if (i % 3 == 1) {
      wire += EncodeRequest(Opcode::kGetKQ, key, "", "", i);
    } else {
      wire += EncodeRequest(Opcode::kNoop, "", "", "", i);
    }
  }
  std::string_view in = wire;
  int seen = 0;
  while (!in.empty()) {
    Request req;
    ParseResult r = ParseAll(in, &req);
    REQUIRE(r.outcome == ParseOutcome::kComplete);
    CHECK(req.opaque == static_cast<uint32_t>(seen));
    if (seen % 3 != 2) CHECK(req.key == "key:" + std::to_string(seen));
    if (seen % 3 == 0) CHECK(req.value.size() == static_cast<size_t>(seen % 17));
    in.remove_prefix(r.consumed);
    ++seen;
  }
  CHECK(seen == kCount);
}

TEST_CASE("truncated header needs more") {
  std::string wire = EncodeRequest(Opcode::kGet, "abc");
  for (size_t n = 0; n < kHeaderSize; ++n) {
    Request req;
    CHECK(ParseAll(wire.substr(0, n), &req).outcome == ParseOutcome::kNeedMore);
  }
}

TEST_CASE("bad magic closes without an answer") {
  std::string wire = EncodeRequest(Opcode::kGet, "abc");
  for (uint8_t magic : {uint8_t{0x00}, uint8_t{0x81}, uint8_t{'g'}, uint8_t{0xff}}) {
    wire[0] = static_cast<char>(magic);
    Request req;
    ParseResult r = ParseAll(wire, &req);
    CHECK(r.outcome == ParseOutcome::kBad);
    CHECK(r.close);
    CHECK_FALSE(r.answer);
  }
}

std::string WithLengths(Opcode op, uint16_t keylen, uint8_t extlen, uint32_t bodylen,
                        std::string_view tail) {
  RequestHeader h;
  h.opcode = op;
  h.key_length = keylen;
  h.extras_length = extlen;
  h.body_length = bodylen;
  h.opaque = 77;
  std::string out(kHeaderSize, '\0');
  WriteRequestHeader(h, out.data());
  out.append(tail);
  return out;
}

TEST_CASE("key and extras longer than the body: UNKNOWN_COMMAND then close") {
  // memcached first waits for extras + key bytes.
  std::string wire = WithLengths(Opcode::kGet, 5, 0, 2, "");
  Request req;
  CHECK(ParseAll(wire, &req).outcome == ParseOutcome::kNeedMore);
  wire += "abcde";
  ParseResult r = ParseAll(wire, &req);
  CHECK(r.outcome == ParseOutcome::kBad);
  CHECK(r.status == Status::kUnknownCommand);
  CHECK(r.answer);
  CHECK(r.close);
  CHECK(req.opaque == 77);

  r = ParseAll(WithLengths(Opcode::kSet, 1, 8, 8, std::string(9, 'x')), &req);
  CHECK(r.outcome == ParseOutcome::kBad);
  CHECK(r.status == Status::kUnknownCommand);
  CHECK(r.close);
}

TEST_CASE("key of 251 bytes: EINVAL then close; 250 is fine") {
  Request req;
  ParseResult r = ParseAll(EncodeRequest(Opcode::kGet, std::string(251, 'k')), &req);
  CHECK(r.outcome == ParseOutcome::kBad);
  CHECK(r.status == Status::kInvalid);
  CHECK(r.close);
  r = ParseAll(EncodeRequest(Opcode::kGet, std::string(250, 'k')), &req);
  CHECK(r.outcome == ParseOutcome::kComplete);
  CHECK(req.key.size() == 250);
}

TEST_CASE("wrong extras or lengths for the opcode: EINVAL then close") {
  const std::vector<std::string> bad = {
      EncodeRequest(Opcode::kGet, "k", "1234"),
      EncodeRequest(Opcode::kGet, ""),
      EncodeRequest(Opcode::kGet, "k", "", "value"),
      EncodeRequest(Opcode::kDelete, "k", "", "v"),
      EncodeRequest(Opcode::kSet, "k", ExptimeExtras(1), "v"),
      EncodeRequest(Opcode::kSet, "", StoreExtras(1, 1), "v"),
      EncodeRequest(Opcode::kAddQ, "k", "", "v"),
      EncodeRequest(Opcode::kAppend, "k", "1234", "v"),
      EncodeRequest(Opcode::kPrepend, "", "", "v"),
      EncodeRequest(Opcode::kIncrement, "n", ExptimeExtras(1)),
      EncodeRequest(Opcode::kIncrement, "n", ArithExtras(1, 1, 1), "zz"),
      EncodeRequest(Opcode::kDecrement, "", ArithExtras(1, 1, 1)),
      EncodeRequest(Opcode::kTouch, "k"),
      EncodeRequest(Opcode::kGatK, "", ExptimeExtras(1)),
      EncodeRequest(Opcode::kFlush, "", StoreExtras(1, 1)),
      EncodeRequest(Opcode::kFlush, "k"),
      EncodeRequest(Opcode::kNoop, "", "", "x"),
      EncodeRequest(Opcode::kVersion, "k"),
      EncodeRequest(Opcode::kQuit, "", "1234"),
      EncodeRequest(Opcode::kStat, "items", "1234"),
      EncodeRequest(Opcode::kSaslListMechs, "PLAIN"),
      EncodeRequest(Opcode::kSaslStep, ""),
  };
  for (const std::string& wire : bad) {
    Request req;
    ParseResult r = ParseAll(wire, &req);
    CAPTURE(static_cast<int>(req.opcode));
    CHECK(r.outcome == ParseOutcome::kBad);
    CHECK(r.status == Status::kInvalid);
    CHECK(r.answer);
    CHECK(r.close);
  }
}

TEST_CASE("a 2 GiB body is answered E2BIG and swallowed, never buffered") {
  // Only the header, extras and key are present: the parser must not ask for the body.
  std::string wire = WithLengths(Opcode::kSet, 1, 8, 0x80000000u, StoreExtras(0, 0) + "k");
  Request req;
  ParseResult r = ParseAll(wire, &req);
  CHECK(r.outcome == ParseOutcome::kBad);
  CHECK(r.status == Status::kTooLarge);
  CHECK_FALSE(r.close);
  CHECK(r.consumed == wire.size());
  CHECK(r.swallow == 0x80000000u - 9);
  CHECK(req.key == "k");

  wire = WithLengths(Opcode::kAppendQ, 1, 0, 0xffffffffu, "k");
  r = ParseAll(wire, &req);
  CHECK(r.status == Status::kTooLarge);
  CHECK(r.swallow == 0xffffffffu - 1);

  // A key-only opcode with a huge body is malformed instead (bodylen != keylen).
  r = ParseAll(WithLengths(Opcode::kGet, 1, 0, 0x80000000u, "k"), &req);
  CHECK(r.status == Status::kInvalid);
  CHECK(r.close);
}

TEST_CASE("value at the limit is accepted, one byte over is E2BIG") {
  Limits limits;
  limits.max_value = 100;
  Request req;
  std::string ok = EncodeRequest(Opcode::kSet, "k", StoreExtras(0, 0), std::string(100, 'v'));
  ParseResult r = Parse(ok, limits, &req);
  CHECK(r.outcome == ParseOutcome::kComplete);
  CHECK(Parse(std::string_view(ok).substr(0, ok.size() - 1), limits, &req).outcome ==
        ParseOutcome::kNeedMore);
  std::string big = EncodeRequest(Opcode::kSet, "k", StoreExtras(0, 0), std::string(101, 'v'));
  r = Parse(big, limits, &req);
  CHECK(r.outcome == ParseOutcome::kBad);
  CHECK(r.status == Status::kTooLarge);
  CHECK(r.consumed + r.swallow == big.size());
}

TEST_CASE("unknown opcodes answer UNKNOWN_COMMAND and swallow like memcached") {
  Request req;
  // No key or extras: exactly the body is skipped, the stream stays in step.
  std::string wire = EncodeRequest(static_cast<Opcode>(0x50), "", "", "xxxxx");
  ParseResult r = ParseAll(wire, &req);
  CHECK(r.outcome == ParseOutcome::kBad);
  CHECK(r.status == Status::kUnknownCommand);
  CHECK_FALSE(r.close);
  CHECK(r.consumed + r.swallow == wire.size());
  // With extras or key, memcached swallows bodylen counted after them.
  wire = EncodeRequest(Opcode::kVerbosity, "", ExptimeExtras(1));
  r = ParseAll(wire, &req);
  CHECK(r.status == Status::kUnknownCommand);
  CHECK(r.consumed == kHeaderSize + 4);
  CHECK(r.swallow == 4);
  // SASL is disabled: UNKNOWN_COMMAND, the mechanism data is skipped exactly.
  wire = EncodeRequest(Opcode::kSaslAuth, "PLAIN", "", "secret");
  r = ParseAll(wire, &req);
  CHECK(r.status == Status::kUnknownCommand);
  CHECK_FALSE(r.close);
  CHECK(r.consumed + r.swallow == wire.size());
  r = ParseAll(EncodeRequest(Opcode::kSaslListMechs), &req);
  CHECK(r.status == Status::kUnknownCommand);
  CHECK(r.swallow == 0);
}

TEST_CASE("stat and touch leave a longer body for the next parse, as memcached does") {
  std::string noop = EncodeRequest(Opcode::kNoop, "", "", "", 99);
  Request req;
  std::string stat = EncodeRequest(Opcode::kStat, "", "", noop);
  ParseResult r = ParseAll(stat, &req);
  REQUIRE(r.outcome == ParseOutcome::kComplete);
  CHECK(r.consumed == kHeaderSize);
  r = ParseAll(std::string_view(stat).substr(r.consumed), &req);
  REQUIRE(r.outcome == ParseOutcome::kComplete);
  CHECK(req.opcode == Opcode::kNoop);
  CHECK(req.opaque == 99);

  std::string touch = EncodeRequest(Opcode::kTouch, "k", ExptimeExtras(1), noop);
  r = ParseAll(touch, &req);
  REQUIRE(r.outcome == ParseOutcome::kComplete);
  CHECK(r.consumed == kHeaderSize + 5);
}

TEST_CASE("response header composer round-trips through ParseResponse") {
  ResponseHeader h;
  h.opcode = Opcode::kGetK;
  h.status = Status::kKeyNotFound;
  h.extras_length = 4;
  h.key_length = 3;
  h.body_length = 4 + 3 + 5;
  h.opaque = 0x01020304;
  h.cas = 0x1122334455667788;
  std::string wire(kHeaderSize, '\0');
  WriteResponseHeader(h, wire.data());
  CHECK(static_cast<uint8_t>(wire[0]) == kResponseMagic);
  CHECK(wire[1] == 0x0c);
  CHECK(wire.substr(12, 4) == std::string("\x01\x02\x03\x04", 4));
  CHECK(static_cast<uint8_t>(wire[7]) == 0x01);
  wire += std::string("\0\0\0\x05", 4) + "keyvalue";
  Response resp;
  size_t consumed = 0;
  for (size_t cut = 0; cut < wire.size(); ++cut) {
    CHECK(ParseResponse(wire.substr(0, cut), &resp, &consumed) == ParseOutcome::kNeedMore);
  }
  REQUIRE(ParseResponse(wire, &resp, &consumed) == ParseOutcome::kComplete);
  CHECK(consumed == wire.size());
  CHECK(resp.opcode == Opcode::kGetK);
  CHECK(resp.status == Status::kKeyNotFound);
  CHECK(resp.opaque == 0x01020304);
  CHECK(resp.cas == 0x1122334455667788);
  CHECK(resp.extras.size() == 4);
  CHECK(resp.key == "key");
  CHECK(resp.value == "value");
}

TEST_CASE("status messages are memcached's") {
  CHECK(std::string(StatusMessage(Status::kKeyNotFound)) == "Not found");
  CHECK(std::string(StatusMessage(Status::kKeyExists)) == "Data exists for key.");
  CHECK(std::string(StatusMessage(Status::kTooLarge)) == "Too large.");
  CHECK(std::string(StatusMessage(Status::kInvalid)) == "Invalid arguments");
  CHECK(std::string(StatusMessage(Status::kNotStored)) == "Not stored.");
  CHECK(std::string(StatusMessage(Status::kDeltaBadValue)) ==
        "Non-numeric server-side value for incr or decr");
  CHECK(std::string(StatusMessage(Status::kUnknownCommand)) == "Unknown command");
  CHECK(std::string(StatusMessage(Status::kNoMemory)) == "Out of memory");
  CHECK(std::string(StatusMessage(Status::kSuccess)).empty());
}

TEST_CASE("quiet opcodes") {
  for (Opcode op :
       {Opcode::kGetQ, Opcode::kGetKQ, Opcode::kSetQ, Opcode::kAddQ, Opcode::kReplaceQ,
        Opcode::kDeleteQ, Opcode::kIncrementQ, Opcode::kDecrementQ, Opcode::kQuitQ, Opcode::kFlushQ,
        Opcode::kAppendQ, Opcode::kPrependQ, Opcode::kGatQ, Opcode::kGatKQ}) {
    CHECK(IsQuiet(op));
  }
  for (Opcode op : {Opcode::kGet, Opcode::kSet, Opcode::kNoop, Opcode::kStat, Opcode::kGat,
                    Opcode::kTouch, Opcode::kVersion}) {
    CHECK_FALSE(IsQuiet(op));
  }
}

}  // namespace
}  // namespace kmd::protocol::binary
