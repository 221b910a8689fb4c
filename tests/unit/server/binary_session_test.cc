// BinarySession against a real cache::Store: each opcode's answer (status, text body, CAS field,
// extras, key), quiet suppression, opaque echo, close and swallow handling, back-pressure and
// split input. Expected bytes were taken from memcached 1.6.18 answering the same requests.
#include "server/dispatch/binary_session.h"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/cache/store.h"
#include "protocol/binary/codec.h"
#include "server/dispatch/dispatch_context.h"

namespace kmd::dispatch {
namespace {

using protocol::binary::ArithExtras;
using protocol::binary::EncodeRequest;
using protocol::binary::ExptimeExtras;
using protocol::binary::Opcode;
using protocol::binary::Status;
using protocol::binary::StoreExtras;

class TestClock final : public base::Clock {
 public:
  int64_t NowSeconds() const override { return now.load(); }
  std::atomic<int64_t> now{1'700'000'000};
};

// An owned copy of a decoded response (the session's output buffer is recycled).
struct Reply {
  Opcode opcode;
  Status status;
  uint32_t opaque;
  uint64_t cas;
  std::string extras, key, value;
};

struct Harness {
  Harness() : store(MakeConfig(&clock)) {
    ctx.store = &store;
    ctx.counters = &counters;
    session = std::make_unique<BinarySession>(ctx);
  }
  static cache::StoreConfig MakeConfig(const base::Clock* clock) {
    cache::StoreConfig config;
    config.memory_limit = 32u << 20;
    config.clock = clock;
    return config;
  }

  // Feeds `input` as one read (looping while the session asks to flush) and decodes all output.
  std::vector<Reply> Send(std::string_view input) {
    last = net::ProcessResult{};
    size_t total = 0;
    std::vector<Reply> replies;
    while (true) {
      net::ProcessResult r = session->Process(input.substr(total));
      total += r.consumed;
      last.swallow = r.swallow;
      last.close = r.close;
      last.output_full |= r.output_full;
      Drain(&replies);
      if (!r.output_full && !r.yield) break;  // a connection resumes after either
    }
    last.consumed = total;
    return replies;
  }

  void Drain(std::vector<Reply>* replies) {
    if (!session->HasOutput()) return;
    std::pmr::vector<iovec> iov;
    session->TakeOutput(&iov);
    for (const iovec& v : iov) pending.append(static_cast<const char*>(v.iov_base), v.iov_len);
    session->Written();
    std::string_view rest = pending;
    while (true) {
      protocol::binary::Response resp;
      size_t consumed = 0;
      auto outcome = protocol::binary::ParseResponse(rest, &resp, &consumed);
      if (outcome != protocol::ParseOutcome::kComplete) break;
      replies->push_back(Reply{resp.opcode, resp.status, resp.opaque, resp.cas,
                               std::string(resp.extras), std::string(resp.key),
                               std::string(resp.value)});
      rest.remove_prefix(consumed);
    }
    pending = std::string(rest);
  }

  Reply One(std::string_view input) {
    std::vector<Reply> r = Send(input);
    REQUIRE(r.size() == 1);
    return r[0];
  }

  uint64_t SetValue(std::string_view key, std::string_view value, uint32_t flags = 0) {
    Reply r = One(EncodeRequest(Opcode::kSet, key, StoreExtras(flags, 0), value));
    REQUIRE(r.status == Status::kSuccess);
    return r.cas;
  }

  TestClock clock;
  cache::Store store;
  net::ServerCounters counters;
  DispatchContext ctx;
  std::unique_ptr<BinarySession> session;
  net::ProcessResult last;
  std::string pending;
};

std::string Be64(uint64_t v) {
  std::string out(8, '\0');
  protocol::binary::StoreBe64(out.data(), v);
  return out;
}

std::string Be32(uint32_t v) {
  std::string out(4, '\0');
  protocol::binary::StoreBe32(out.data(), v);
  return out;
}

TEST_CASE("set then get, getk: flags in extras, CAS, value, key only for K") {
  Harness h;
  Reply set = h.One(EncodeRequest(Opcode::kSet, "foo", StoreExtras(5, 0), "hello", 11));
  CHECK(set.opcode == Opcode::kSet);
  CHECK(set.status == Status::kSuccess);
  CHECK(set.opaque == 11);
  CHECK(set.cas != 0);
  CHECK(set.value.empty());
  CHECK(set.extras.empty());

  Reply get = h.One(EncodeRequest(Opcode::kGet, "foo", "", "", 12));
  CHECK(get.status == Status::kSuccess);
  CHECK(get.opaque == 12);
  CHECK(get.cas == set.cas);
  CHECK(get.extras == Be32(5));
  CHECK(get.key.empty());
  CHECK(get.value == "hello");

  Reply getk = h.One(EncodeRequest(Opcode::kGetK, "foo"));
  CHECK(getk.key == "foo");
  CHECK(getk.value == "hello");
  CHECK(getk.extras == Be32(5));

  // Large values go out zero-copy; the bytes must be the same.
  std::string big(200000, 'z');
  big[100] = 'a';
  h.SetValue("big", big);
  CHECK(h.One(EncodeRequest(Opcode::kGet, "big")).value == big);
}

TEST_CASE("misses: GET says Not found, GETK returns the key, quiet gets say nothing") {
  Harness h;
  Reply miss = h.One(EncodeRequest(Opcode::kGet, "nope", "", "", 3));
  CHECK(miss.status == Status::kKeyNotFound);
  CHECK(miss.value == "Not found");
  CHECK(miss.cas == 0);
  CHECK(miss.opaque == 3);

  Reply missk = h.One(EncodeRequest(Opcode::kGetK, "nope"));
  CHECK(missk.status == Status::kKeyNotFound);
  CHECK(missk.key == "nope");
  CHECK(missk.value.empty());
  CHECK(missk.extras.empty());

  h.SetValue("hit", "v");
  std::vector<Reply> r = h.Send(EncodeRequest(Opcode::kGetQ, "nope", "", "", 1) +
                                EncodeRequest(Opcode::kGetKQ, "nope", "", "", 2) +
                                EncodeRequest(Opcode::kGetKQ, "hit", "", "", 3) +
                                EncodeRequest(Opcode::kGetQ, "hit", "", "", 4) +
                                EncodeRequest(Opcode::kNoop, "", "", "", 5));
  REQUIRE(r.size() == 3);
  CHECK(r[0].opcode == Opcode::kGetKQ);
  CHECK(r[0].opaque == 3);
  CHECK(r[0].key == "hit");
  CHECK(r[1].opcode == Opcode::kGetQ);
  CHECK(r[1].opaque == 4);
  CHECK(r[1].value == "v");
  CHECK(r[2].opcode == Opcode::kNoop);
}

TEST_CASE("add, replace and their quiet forms") {
  Harness h;
  h.SetValue("k", "v");
  Reply add = h.One(EncodeRequest(Opcode::kAdd, "k", StoreExtras(0, 0), "x"));
  CHECK(add.status == Status::kKeyExists);
  CHECK(add.value == "Data exists for key.");
  CHECK(add.cas == 0);

  Reply replace = h.One(EncodeRequest(Opcode::kReplace, "missing", StoreExtras(0, 0), "x"));
  CHECK(replace.status == Status::kKeyNotFound);
  CHECK(replace.value == "Not found");

  CHECK(h.One(EncodeRequest(Opcode::kAdd, "new", StoreExtras(0, 0), "x")).status ==
        Status::kSuccess);
  CHECK(h.One(EncodeRequest(Opcode::kReplace, "new", StoreExtras(0, 0), "y")).status ==
        Status::kSuccess);

  // Quiet: success is silent, errors are still sent (with the quiet opcode).
  std::vector<Reply> r = h.Send(EncodeRequest(Opcode::kSetQ, "q", StoreExtras(0, 0), "1") +
                                EncodeRequest(Opcode::kAddQ, "q", StoreExtras(0, 0), "2", 7) +
                                EncodeRequest(Opcode::kReplaceQ, "zz", StoreExtras(0, 0), "3", 8) +
                                EncodeRequest(Opcode::kAddQ, "q2", StoreExtras(0, 0), "4") +
                                EncodeRequest(Opcode::kNoop));
  REQUIRE(r.size() == 3);
  CHECK(r[0].opcode == Opcode::kAddQ);
  CHECK(r[0].status == Status::kKeyExists);
  CHECK(r[0].opaque == 7);
  CHECK(r[1].opcode == Opcode::kReplaceQ);
  CHECK(r[1].status == Status::kKeyNotFound);
  CHECK(r[2].opcode == Opcode::kNoop);
  CHECK(h.One(EncodeRequest(Opcode::kGet, "q")).value == "1");
  CHECK(h.One(EncodeRequest(Opcode::kGet, "q2")).value == "4");
}

TEST_CASE("CAS on set, add, replace: match stores, mismatch EEXISTS, missing ENOENT") {
  Harness h;
  uint64_t cas = h.SetValue("k", "v1");
  Reply bad = h.One(EncodeRequest(Opcode::kSet, "k", StoreExtras(0, 0), "v2", 0, cas + 1000));
  CHECK(bad.status == Status::kKeyExists);
  CHECK(bad.value == "Data exists for key.");
  Reply good = h.One(EncodeRequest(Opcode::kSet, "k", StoreExtras(0, 0), "v2", 0, cas));
  CHECK(good.status == Status::kSuccess);
  CHECK(good.cas != cas);
  CHECK(good.cas != 0);
  Reply missing = h.One(EncodeRequest(Opcode::kSet, "nokey", StoreExtras(0, 0), "v", 0, 5));
  CHECK(missing.status == Status::kKeyNotFound);
  // memcached treats add/replace with a CAS as a CAS store: add on an existing key succeeds.
  Reply add = h.One(EncodeRequest(Opcode::kAdd, "k", StoreExtras(0, 0), "v3", 0, good.cas));
  CHECK(add.status == Status::kSuccess);
  CHECK(h.One(EncodeRequest(Opcode::kGet, "k")).value == "v3");
  // A write to one key never changes another key's CAS.
  uint64_t other = h.SetValue("other", "o");
  h.SetValue("k", "again");
  CHECK(h.One(EncodeRequest(Opcode::kGet, "other")).cas == other);
}

TEST_CASE("append and prepend") {
  Harness h;
  h.SetValue("k", "mid", 9);
  Reply app = h.One(EncodeRequest(Opcode::kAppend, "k", "", "-end"));
  CHECK(app.status == Status::kSuccess);
  CHECK(app.cas != 0);
  CHECK(h.One(EncodeRequest(Opcode::kPrepend, "k", "", "start-")).status == Status::kSuccess);
  Reply get = h.One(EncodeRequest(Opcode::kGet, "k"));
  CHECK(get.value == "start-mid-end");
  CHECK(get.extras == Be32(9));

  Reply missing = h.One(EncodeRequest(Opcode::kAppend, "nokey", "", "x"));
  CHECK(missing.status == Status::kNotStored);
  CHECK(missing.value == "Not stored.");
  Reply badcas = h.One(EncodeRequest(Opcode::kAppend, "k", "", "x", 0, get.cas + 99));
  CHECK(badcas.status == Status::kKeyExists);
  CHECK(h.One(EncodeRequest(Opcode::kAppend, "k", "", "!", 0, get.cas)).status == Status::kSuccess);

  std::vector<Reply> r =
      h.Send(EncodeRequest(Opcode::kAppendQ, "k", "", "1") +
             EncodeRequest(Opcode::kPrependQ, "nokey", "", "2") + EncodeRequest(Opcode::kNoop));
  REQUIRE(r.size() == 2);
  CHECK(r[0].opcode == Opcode::kPrependQ);
  CHECK(r[0].status == Status::kNotStored);
  CHECK(h.One(EncodeRequest(Opcode::kGet, "k")).value == "start-mid-end!1");
}

TEST_CASE("delete with and without CAS, quiet delete") {
  Harness h;
  uint64_t cas = h.SetValue("k", "v");
  Reply bad = h.One(EncodeRequest(Opcode::kDelete, "k", "", "", 0, cas + 1));
  CHECK(bad.status == Status::kKeyExists);
  Reply ok = h.One(EncodeRequest(Opcode::kDelete, "k", "", "", 0, cas));
  CHECK(ok.status == Status::kSuccess);
  CHECK(ok.cas == 0);
  Reply miss = h.One(EncodeRequest(Opcode::kDelete, "k"));
  CHECK(miss.status == Status::kKeyNotFound);
  CHECK(miss.value == "Not found");

  h.SetValue("k2", "v");
  std::vector<Reply> r =
      h.Send(EncodeRequest(Opcode::kDeleteQ, "k2") +
             EncodeRequest(Opcode::kDeleteQ, "k2", "", "", 4) + EncodeRequest(Opcode::kNoop));
  REQUIRE(r.size() == 2);
  CHECK(r[0].opcode == Opcode::kDeleteQ);
  CHECK(r[0].status == Status::kKeyNotFound);
  CHECK(r[0].opaque == 4);
}

TEST_CASE("incr and decr: initial, no-create, floor, wrap, non-numeric, CAS, quiet") {
  Harness h;
  Reply created = h.One(EncodeRequest(Opcode::kIncrement, "n", ArithExtras(1, 10, 0)));
  CHECK(created.status == Status::kSuccess);
  CHECK(created.value == Be64(10));  // the initial value, not initial + delta
  CHECK(created.cas != 0);
  Reply inc = h.One(EncodeRequest(Opcode::kIncrement, "n", ArithExtras(5, 10, 0)));
  CHECK(inc.value == Be64(15));
  CHECK(inc.cas != created.cas);
  CHECK(h.One(EncodeRequest(Opcode::kDecrement, "n", ArithExtras(500, 0, 0))).value == Be64(0));
  CHECK(h.One(EncodeRequest(Opcode::kGet, "n")).extras == Be32(0));

  Reply nocreate = h.One(EncodeRequest(Opcode::kIncrement, "nn",
                                       ArithExtras(5, 10, protocol::binary::kArithNoCreate)));
  CHECK(nocreate.status == Status::kKeyNotFound);
  CHECK(nocreate.value == "Not found");

  h.SetValue("max", "18446744073709551615");
  CHECK(h.One(EncodeRequest(Opcode::kIncrement, "max", ArithExtras(2, 0, 0))).value == Be64(1));

  h.SetValue("text", "hello");
  Reply nonnum = h.One(EncodeRequest(Opcode::kIncrement, "text", ArithExtras(1, 0, 0)));
  CHECK(nonnum.status == Status::kDeltaBadValue);
  CHECK(nonnum.value == "Non-numeric server-side value for incr or decr");

  Reply cur = h.One(EncodeRequest(Opcode::kIncrement, "n", ArithExtras(1, 0, 0)));
  Reply badcas = h.One(EncodeRequest(Opcode::kIncrement, "n", ArithExtras(1, 0, 0), "", 0, 1));
  CHECK(badcas.status == Status::kKeyExists);
  CHECK(h.One(EncodeRequest(Opcode::kIncrement, "n", ArithExtras(1, 0, 0), "", 0, cur.cas)).value ==
        Be64(2));

  std::vector<Reply> r = h.Send(EncodeRequest(Opcode::kIncrementQ, "n", ArithExtras(1, 0, 0)) +
                                EncodeRequest(Opcode::kDecrementQ, "text", ArithExtras(1, 0, 0)) +
                                EncodeRequest(Opcode::kNoop));
  REQUIRE(r.size() == 2);
  CHECK(r[0].opcode == Opcode::kDecrementQ);
  CHECK(r[0].status == Status::kDeltaBadValue);
  // memcached pads a shrunken number with spaces in place ("15" -> "0 " -> ... -> "3 ").
  CHECK(h.One(EncodeRequest(Opcode::kGet, "n")).value == "3 ");
}

TEST_CASE("touch answers flags without value; gat and gatk return the value") {
  Harness h;
  uint64_t cas = h.SetValue("k", "value", 7);
  Reply touch = h.One(EncodeRequest(Opcode::kTouch, "k", ExptimeExtras(100)));
  CHECK(touch.status == Status::kSuccess);
  CHECK(touch.extras == Be32(7));
  CHECK(touch.value.empty());
  CHECK(touch.key.empty());
  CHECK(touch.cas == cas);

  Reply gat = h.One(EncodeRequest(Opcode::kGat, "k", ExptimeExtras(100)));
  CHECK(gat.value == "value");
  CHECK(gat.key.empty());
  Reply gatk = h.One(EncodeRequest(Opcode::kGatK, "k", ExptimeExtras(100)));
  CHECK(gatk.key == "k");
  CHECK(gatk.value == "value");

  Reply tmiss = h.One(EncodeRequest(Opcode::kTouch, "zz", ExptimeExtras(1)));
  CHECK(tmiss.status == Status::kKeyNotFound);
  CHECK(tmiss.value == "Not found");
  Reply gkmiss = h.One(EncodeRequest(Opcode::kGatK, "zz", ExptimeExtras(1)));
  CHECK(gkmiss.key == "zz");
  std::vector<Reply> r =
      h.Send(EncodeRequest(Opcode::kGatQ, "zz", ExptimeExtras(1)) +
             EncodeRequest(Opcode::kGatKQ, "zz", ExptimeExtras(1)) +
             EncodeRequest(Opcode::kGatQ, "k", ExptimeExtras(1)) + EncodeRequest(Opcode::kNoop));
  REQUIRE(r.size() == 2);
  CHECK(r[0].opcode == Opcode::kGatQ);
  CHECK(r[0].value == "value");

  // The touch took: after its TTL the item is gone.
  h.One(EncodeRequest(Opcode::kTouch, "k", ExptimeExtras(10)));
  h.clock.now += 11;
  CHECK(h.One(EncodeRequest(Opcode::kGet, "k")).status == Status::kKeyNotFound);
}

TEST_CASE("flush, flushq and flush with a delay") {
  Harness h;
  h.SetValue("a", "1");
  Reply flush = h.One(EncodeRequest(Opcode::kFlush));
  CHECK(flush.status == Status::kSuccess);
  CHECK(flush.cas == 0);
  CHECK(h.One(EncodeRequest(Opcode::kGet, "a")).status == Status::kKeyNotFound);

  h.SetValue("b", "2");
  std::vector<Reply> r = h.Send(EncodeRequest(Opcode::kFlushQ) + EncodeRequest(Opcode::kNoop));
  REQUIRE(r.size() == 1);
  CHECK(r[0].opcode == Opcode::kNoop);
  CHECK(h.One(EncodeRequest(Opcode::kGet, "b")).status == Status::kKeyNotFound);

  h.SetValue("c", "3");
  CHECK(h.One(EncodeRequest(Opcode::kFlush, "", ExptimeExtras(5))).status == Status::kSuccess);
  CHECK(h.One(EncodeRequest(Opcode::kGet, "c")).status == Status::kSuccess);
  h.clock.now += 6;
  CHECK(h.One(EncodeRequest(Opcode::kGet, "c")).status == Status::kKeyNotFound);
}

TEST_CASE("noop, version, quit and quitq") {
  Harness h;
  Reply noop = h.One(EncodeRequest(Opcode::kNoop, "", "", "", 42));
  CHECK(noop.status == Status::kSuccess);
  CHECK(noop.opaque == 42);
  CHECK(h.One(EncodeRequest(Opcode::kVersion)).value == "1.6.18");

  std::string quit = EncodeRequest(Opcode::kQuit, "", "", "", 9);
  std::vector<Reply> r = h.Send(quit + EncodeRequest(Opcode::kNoop));
  REQUIRE(r.size() == 1);
  CHECK(r[0].opcode == Opcode::kQuit);
  CHECK(r[0].opaque == 9);
  CHECK(h.last.close);
  CHECK(h.last.consumed == quit.size());

  Harness q;
  r = q.Send(EncodeRequest(Opcode::kQuitQ) + EncodeRequest(Opcode::kNoop));
  CHECK(r.empty());
  CHECK(q.last.close);
}

TEST_CASE("stat groups as memcached's binary protocol answers them") {
  Harness h;
  std::vector<Reply> r = h.Send(EncodeRequest(Opcode::kStat, "", "", "", 5));
  REQUIRE(r.size() > 5);
  CHECK(r.back().key.empty());
  CHECK(r.back().value.empty());
  bool saw_version = false;
  for (const Reply& reply : r) {
    CHECK(reply.opcode == Opcode::kStat);
    CHECK(reply.opaque == 5);
    CHECK(reply.status == Status::kSuccess);
    if (reply.key == "version") saw_version = reply.value == "1.6.18";
  }
  CHECK(saw_version);

  for (const char* group : {"items", "slabs", "sizes", "settings", "reset"}) {
    CAPTURE(group);
    r = h.Send(EncodeRequest(Opcode::kStat, group));
    REQUIRE_FALSE(r.empty());
    CHECK(r.back().status == Status::kSuccess);
    CHECK(r.back().key.empty());
  }
  for (const char* group : {"bogus", "conns", "itemsX", "detail x"}) {
    CAPTURE(group);
    Reply miss = h.One(EncodeRequest(Opcode::kStat, group));
    CHECK(miss.status == Status::kKeyNotFound);
    CHECK(miss.value == "Not found");
  }
  r = h.Send(EncodeRequest(Opcode::kStat, "detail dump"));
  REQUIRE(r.size() == 2);
  CHECK(r[0].key == "detailed");
  CHECK(r[0].value == "END\r\n");
}

TEST_CASE("unknown opcodes, verbosity and SASL answer Unknown command and keep the stream") {
  Harness h;
  std::vector<Reply> r = h.Send(EncodeRequest(static_cast<Opcode>(0x50), "", "", "xyz", 1) +
                                EncodeRequest(Opcode::kSaslListMechs, "", "", "", 2) +
                                EncodeRequest(Opcode::kSaslAuth, "PLAIN", "", "\0u\0p", 3) +
                                EncodeRequest(Opcode::kNoop, "", "", "", 4));
  // Each swallow stops Process; the harness's single call sees the first answer and swallow.
  REQUIRE(r.size() == 1);
  CHECK(r[0].status == Status::kUnknownCommand);
  CHECK(r[0].value == "Unknown command");
  CHECK(h.last.swallow == 3);
  CHECK_FALSE(h.last.close);

  Harness v;
  r = v.Send(EncodeRequest(Opcode::kVerbosity, "", ExptimeExtras(1), "", 6));
  REQUIRE(r.size() == 1);
  CHECK(r[0].opcode == Opcode::kVerbosity);
  CHECK(r[0].status == Status::kUnknownCommand);
}

TEST_CASE("value over the limit: E2BIG, body swallowed, old value dropped") {
  Harness h;
  h.ctx.limits.max_value = 1000;
  h.SetValue("k", "old");
  std::string wire = EncodeRequest(Opcode::kSetQ, "k", StoreExtras(0, 0), std::string(5000, 'x'));
  std::vector<Reply> r = h.Send(std::string_view(wire).substr(0, 100));  // body mostly unsent
  REQUIRE(r.size() == 1);
  CHECK(r[0].opcode == Opcode::kSetQ);
  CHECK(r[0].status == Status::kTooLarge);
  CHECK(r[0].value == "Too large.");
  CHECK(h.last.consumed == protocol::binary::kHeaderSize + 8 + 1);
  CHECK(h.last.consumed + h.last.swallow == wire.size());
  CHECK_FALSE(h.last.close);
  CHECK(h.One(EncodeRequest(Opcode::kGet, "k")).status == Status::kKeyNotFound);

  // Past the store's own item limit (under the parse limit): also E2BIG.
  Harness s;
  std::string huge(2u << 20, 'y');
  s.ctx.limits.max_value = 4u << 20;
  Reply big = s.One(EncodeRequest(Opcode::kSet, "k", StoreExtras(0, 0), huge));
  CHECK(big.status == Status::kTooLarge);
}

TEST_CASE("malformed requests close the connection as memcached does") {
  Harness h;
  std::vector<Reply> r = h.Send(EncodeRequest(Opcode::kGet, std::string(251, 'k'), "", "", 3) +
                                EncodeRequest(Opcode::kNoop));
  REQUIRE(r.size() == 1);
  CHECK(r[0].status == Status::kInvalid);
  CHECK(r[0].value == "Invalid arguments");
  CHECK(r[0].opaque == 3);
  CHECK(h.last.close);

  Harness m;
  std::string bad = EncodeRequest(Opcode::kNoop);
  bad[0] = '\x81';
  r = m.Send(EncodeRequest(Opcode::kNoop) + bad);
  REQUIRE(r.size() == 1);  // the good noop is answered, then silence and close
  CHECK(m.last.close);

  Harness e;
  r = e.Send(EncodeRequest(Opcode::kSet, "k", ExptimeExtras(0), "v"));
  REQUIRE(r.size() == 1);
  CHECK(r[0].status == Status::kInvalid);
  CHECK(e.last.close);
}

TEST_CASE("split input at every byte gives the same answers as one read") {
  std::string wire = EncodeRequest(Opcode::kSet, "k", StoreExtras(3, 0), "value", 1) +
                     EncodeRequest(Opcode::kGetK, "k", "", "", 2) +
                     EncodeRequest(Opcode::kIncrement, "n", ArithExtras(1, 5, 0), "", 3) +
                     EncodeRequest(Opcode::kStat, "items", "", "", 4) +
                     EncodeRequest(Opcode::kNoop, "", "", "", 5);
  Harness whole;
  std::vector<Reply> expected = whole.Send(wire);
  REQUIRE(expected.size() >= 5);

  Harness split;
  std::string buffered;
  std::vector<Reply> got;
  for (char c : wire) {
    buffered.push_back(c);
    std::vector<Reply> r = split.Send(buffered);
    buffered.erase(0, split.last.consumed);
    got.insert(got.end(), r.begin(), r.end());
  }
  CHECK(buffered.empty());
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].opcode == expected[i].opcode);
    CHECK(got[i].status == expected[i].status);
    CHECK(got[i].opaque == expected[i].opaque);
    CHECK(got[i].key == expected[i].key);
    if (got[i].opcode != Opcode::kStat) CHECK(got[i].value == expected[i].value);
  }
}

TEST_CASE("a pipeline past the output soft limit yields and resumes") {
  Harness h;
  std::string value(512 * 1024, 'v');
  h.SetValue("big", value);
  std::string wire;
  const int kGets = 20;  // 10 MiB of answers: more than OutputBuffer::kSoftLimitBytes
  for (int i = 0; i < kGets; ++i) wire += EncodeRequest(Opcode::kGet, "big", "", "", i);
  net::ProcessResult first = h.session->Process(wire);
  CHECK(first.output_full);
  CHECK(first.consumed < wire.size());
  CHECK(first.consumed > 0);
  std::pmr::vector<iovec> iov;
  h.session->TakeOutput(&iov);
  size_t bytes = 0;
  for (const iovec& v : iov) bytes += v.iov_len;
  CHECK(bytes > OutputBuffer::kSoftLimitBytes);
  CHECK(h.session->PinnedBytes() > 0);  // big values leave zero-copy, pinned until Written()
  h.session->Written();
  CHECK(h.session->PinnedBytes() == 0);
  Harness again;
  again.SetValue("big", value);
  std::vector<Reply> r = again.Send(wire);
  CHECK(again.last.output_full);
  CHECK(again.last.consumed == wire.size());
  REQUIRE(r.size() == static_cast<size_t>(kGets));
  for (int i = 0; i < kGets; ++i) {
    CHECK(r[i].opaque == static_cast<uint32_t>(i));
    CHECK(r[i].value.size() == value.size());
  }
}

TEST_CASE("thousands of pipelined quiet sets then gets in one read") {
  Harness h;
  std::string wire;
  const int kCount = 3000;
  for (int i = 0; i < kCount; ++i) {
    wire += EncodeRequest(Opcode::kSetQ, "key" + std::to_string(i), StoreExtras(i, 0),
                          std::to_string(i * 7));
  }
  for (int i = 0; i < kCount; ++i) {
    wire += EncodeRequest(Opcode::kGetKQ, "key" + std::to_string(i), "", "", i);
  }
  wire += EncodeRequest(Opcode::kNoop, "", "", "", 0xffffffff);
  std::vector<Reply> r = h.Send(wire);
  REQUIRE(r.size() == static_cast<size_t>(kCount + 1));
  for (int i = 0; i < kCount; ++i) {
    CHECK(r[i].key == "key" + std::to_string(i));
    CHECK(r[i].value == std::to_string(i * 7));
    CHECK(r[i].extras == Be32(i));
  }
  CHECK(r.back().opaque == 0xffffffff);
  CHECK(h.last.consumed == wire.size());
}

}  // namespace
}  // namespace kmd::dispatch
