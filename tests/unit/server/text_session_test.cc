// TextSession against a real cache::Store: classic commands with memcached 1.6.18's exact bytes
// (expected outputs were checked against memcached 1.6.18), noreply, pipelining, swallowing,
// split input, the output soft limit.
#include "server/dispatch/text_session.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "core/cache/store.h"
#include "server/dispatch/dispatch_context.h"
#include "tests/support/manual_clock.h"

namespace {

using kmd::dispatch::DispatchContext;
using kmd::dispatch::TextSession;

kmd::cache::StoreConfig MakeConfig(const kmd::base::Clock* clock) {
  kmd::cache::StoreConfig config;
  config.memory_limit = 16u << 20;
  config.clock = clock;
  return config;
}

struct Harness {
  Harness() : store(MakeConfig(&clock)) {
    ctx.store = &store;
    ctx.counters = &counters;
    session = std::make_unique<TextSession>(ctx);
  }

  // Feeds `in` (keeping unconsumed bytes like a connection would) and returns the output.
  std::string Run(std::string_view in) {
    pending += in;
    kmd::net::ProcessResult r;
    std::string out;
    do {
      r = session->Process(pending);
      pending.erase(0, r.consumed);
      last = r;
      out += Drain();
    } while (r.output_full || r.yield);  // a connection resumes after either
    return out;
  }

  std::string Drain() {
    std::pmr::vector<iovec> iov;
    session->TakeOutput(&iov);
    std::string out;
    for (const iovec& v : iov) out.append(static_cast<const char*>(v.iov_base), v.iov_len);
    session->Written();
    return out;
  }

  kmd::test::ManualClock clock;
  kmd::cache::Store store;
  kmd::net::ServerCounters counters;
  DispatchContext ctx;
  std::unique_ptr<TextSession> session;
  std::string pending;
  kmd::net::ProcessResult last;
};

}  // namespace

TEST_CASE("set, get, gets, multi-get") {
  Harness h;
  CHECK(h.Run("set foo 5 0 3\r\nbar\r\n") == "STORED\r\n");
  CHECK(h.Run("get foo\r\n") == "VALUE foo 5 3\r\nbar\r\nEND\r\n");
  CHECK(h.Run("get nope\r\n") == "END\r\n");
  CHECK(h.Run("set b 0 0 2\r\nxy\r\nget foo nope b\r\n") ==
        "STORED\r\nVALUE foo 5 3\r\nbar\r\nVALUE b 0 2\r\nxy\r\nEND\r\n");
  std::string gets = h.Run("gets foo\r\n");
  CHECK(gets.rfind("VALUE foo 5 3 ", 0) == 0);
  CHECK(gets.find("\r\nbar\r\nEND\r\n") != std::string::npos);
}

TEST_CASE("large values are returned intact (zero-copy path)") {
  Harness h;
  std::string value(100000, 'v');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>('a' + i % 26);
  CHECK(h.Run("set big 0 0 100000\r\n" + value + "\r\n") == "STORED\r\n");
  CHECK(h.Run("get big\r\n") == "VALUE big 0 100000\r\n" + value + "\r\nEND\r\n");
}

TEST_CASE("add, replace, append, prepend, cas") {
  Harness h;
  CHECK(h.Run("add k 0 0 1\r\na\r\n") == "STORED\r\n");
  CHECK(h.Run("add k 0 0 1\r\nb\r\n") == "NOT_STORED\r\n");
  CHECK(h.Run("replace k 0 0 1\r\nc\r\n") == "STORED\r\n");
  CHECK(h.Run("replace nope 0 0 1\r\nc\r\n") == "NOT_STORED\r\n");
  CHECK(h.Run("append k 0 0 2\r\nde\r\n") == "STORED\r\n");
  CHECK(h.Run("prepend k 0 0 2\r\nab\r\n") == "STORED\r\n");
  CHECK(h.Run("append nope 0 0 2\r\nde\r\n") == "NOT_STORED\r\n");
  CHECK(h.Run("get k\r\n") == "VALUE k 0 5\r\nabcde\r\nEND\r\n");

  std::string gets = h.Run("gets k\r\n");
  size_t sp = gets.rfind(' ', gets.find('\r'));
  std::string cas = gets.substr(sp + 1, gets.find('\r') - sp - 1);
  CHECK(h.Run("cas k 0 0 1 " + cas + "1\r\nx\r\n") == "EXISTS\r\n");
  CHECK(h.Run("cas k 0 0 1 " + cas + "\r\nx\r\n") == "STORED\r\n");
  CHECK(h.Run("cas k 0 0 1 " + cas + "\r\nx\r\n") == "EXISTS\r\n");
  CHECK(h.Run("cas nope 0 0 1 5\r\nx\r\n") == "NOT_FOUND\r\n");
  CHECK(h.Run("cas k 0 0 1 0\r\nx\r\n") == "EXISTS\r\n");
  CHECK(h.Run("cas nope 0 0 1 0\r\nx\r\n") == "NOT_FOUND\r\n");
}

TEST_CASE("noreply suppresses replies and errors as memcached") {
  Harness h;
  CHECK(h.Run("set k 0 0 1 noreply\r\na\r\nget k\r\n") == "VALUE k 0 1\r\na\r\nEND\r\n");
  CHECK(h.Run("set k 0 0 abc noreply\r\nget k\r\n") == "VALUE k 0 1\r\na\r\nEND\r\n");
  // The bad chunk error is hidden; the stray "\n" then answers ERROR.
  CHECK(h.Run("set k 0 0 1 noreply\r\nab\r\n") == "ERROR\r\n");
  CHECK(h.Run("delete k 1 noreply\r\ndelete k noreply\r\nget k\r\n") == "END\r\n");
  CHECK(h.Run("incr nope 1 noreply\r\ntouch nope 1 noreply\r\nflush_all noreply\r\n") == "");
  CHECK(h.Run("verbosity 1 noreply\r\n") == "");
}

TEST_CASE("errors and resynchronisation match memcached") {
  Harness h;
  CHECK(h.Run("set k 0 0 1\r\na\r\n") == "STORED\r\n");
  CHECK(h.Run("set k 0 0 3\r\nabcde\r\nget k\r\n") ==
        "CLIENT_ERROR bad data chunk\r\nERROR\r\nVALUE k 0 1\r\na\r\nEND\r\n");
  CHECK(h.Run("set k 0 0 -1\r\nget k\r\n") ==
        "CLIENT_ERROR bad command line format\r\nVALUE k 0 1\r\na\r\nEND\r\n");
  CHECK(h.Run("set " + std::string(251, 'k') + " 0 0 1\r\na\r\n") ==
        "CLIENT_ERROR bad command line format\r\nERROR\r\n");
  CHECK(h.Run("get k " + std::string(300, 'k') + "\r\n") ==
        "CLIENT_ERROR bad command line format\r\n");
  CHECK(h.Run("get\r\ngat 10\r\ngat abc k\r\nGET k\r\n\r\nx\r\n") ==
        "ERROR\r\nEND\r\nCLIENT_ERROR invalid exptime argument\r\nERROR\r\nERROR\r\nERROR\r\n");
  CHECK(h.Run("delete k 1\r\ndelete\r\n") ==
        "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\nERROR\r\n");
}

TEST_CASE("a value over the limit is swallowed and unlinks the old item") {
  Harness h;
  h.ctx.limits.max_value = 1000;
  CHECK(h.Run("set k 0 0 1\r\na\r\n") == "STORED\r\n");
  std::string big(2000, 'x');
  CHECK(h.Run("set k 0 0 2000\r\n" + big + "\r\nget k\r\n") ==
        "SERVER_ERROR object too large for cache\r\nEND\r\n");
  // Split: the session reports how much of the block is still to come.
  CHECK(h.Run("set k 0 0 2000\r\n" + big.substr(0, 500)) ==
        "SERVER_ERROR object too large for cache\r\n");
  CHECK(h.last.swallow == 2002 - 500);
  CHECK(h.pending.empty());
}

TEST_CASE("incr, decr, touch, delete, gat") {
  Harness h;
  CHECK(h.Run("set n 0 0 1\r\n1\r\n") == "STORED\r\n");
  CHECK(h.Run("incr n 5\r\n") == "6\r\n");
  CHECK(h.Run("incr n 18446744073709551615\r\n") == "5\r\n");
  CHECK(h.Run("decr n 100\r\n") == "0\r\n");
  CHECK(h.Run("incr n -1\r\n") == "CLIENT_ERROR invalid numeric delta argument\r\n");
  CHECK(h.Run("incr nope 1\r\n") == "NOT_FOUND\r\n");
  CHECK(h.Run("set s 0 0 2\r\nab\r\nincr s 1\r\n") ==
        "STORED\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
  CHECK(h.Run("touch n 10\r\n") == "TOUCHED\r\n");
  CHECK(h.Run("touch nope 10\r\n") == "NOT_FOUND\r\n");
  CHECK(h.Run("touch n abc\r\n") == "CLIENT_ERROR invalid exptime argument\r\n");
  CHECK(h.Run("gat 100 n\r\n") == "VALUE n 0 1\r\n0\r\nEND\r\n");
  h.clock.Advance(101);
  CHECK(h.Run("get n\r\n") == "END\r\n");
  CHECK(h.Run("delete s\r\n") == "DELETED\r\n");
  CHECK(h.Run("delete s\r\n") == "NOT_FOUND\r\n");
  CHECK(h.Run("set d 0 0 1\r\na\r\ndelete d 0\r\n") == "STORED\r\nDELETED\r\n");
}

TEST_CASE("flush_all, version, verbosity, quit, shutdown, memlimit") {
  Harness h;
  CHECK(h.Run("set k 0 0 1\r\na\r\n") == "STORED\r\n");
  CHECK(h.Run("flush_all 10\r\n") == "OK\r\n");
  CHECK(h.Run("get k\r\n") == "VALUE k 0 1\r\na\r\nEND\r\n");
  h.clock.Advance(11);
  CHECK(h.Run("get k\r\n") == "END\r\n");
  CHECK(h.Run("set k 0 0 1\r\na\r\nflush_all\r\nget k\r\n") == "STORED\r\nOK\r\nEND\r\n");
  CHECK(h.Run("flush_all abc\r\nflush_all 1 2 3\r\n") ==
        "CLIENT_ERROR invalid exptime argument\r\nERROR\r\n");
  CHECK(h.Run("version\r\n") == "VERSION 1.6.18\r\n");
  CHECK(h.Run("verbosity 1\r\n") == "OK\r\n");
  CHECK(h.ctx.verbosity.load() == 1);
  CHECK(h.Run("shutdown\r\n") == "ERROR: shutdown not enabled\r\n");
  CHECK(h.Run("cache_memlimit 1\r\n") ==
        "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n");
  CHECK(h.Run("version\r\nquit\r\nversion\r\n") == "VERSION 1.6.18\r\n");
  CHECK(h.last.close);

  Harness g;
  bool asked = false;
  g.ctx.shutdown = [&] { asked = true; };
  CHECK(g.Run("shutdown bogus\r\n") == "CLIENT_ERROR invalid shutdown mode\r\n");
  CHECK(g.Run("shutdown\r\n") == "");
  CHECK(asked);
  CHECK(g.last.close);
}

TEST_CASE("stats groups") {
  Harness h;
  std::string general = h.Run("stats\r\n");
  CHECK(general.rfind("STAT ", 0) == 0);
  CHECK(general.size() > 5);
  CHECK(general.substr(general.size() - 5) == "END\r\n");
  CHECK(h.Run("stats reset\r\n") == "RESET\r\n");
  CHECK(h.Run("stats bogus\r\n") == "ERROR\r\n");
  CHECK(h.Run("stats detail\r\n") == "CLIENT_ERROR usage: stats detail on|off|dump\r\n");
  CHECK(h.Run("stats detail on\r\n") == "OK\r\n");
  CHECK(h.Run("stats cachedump\r\n") == "CLIENT_ERROR bad command line\r\n");
  CHECK(h.Run("stats cachedump a b\r\n") == "CLIENT_ERROR bad command line format\r\n");
  std::string items = h.Run("set k 0 0 1\r\na\r\nstats items\r\n");
  CHECK(items.find("STAT items:") != std::string::npos);
}

TEST_CASE("input split at every byte gives the same output") {
  const std::string stream =
      "set a 0 0 3\r\nabc\r\nget a\r\nincr a 1\r\nset n 0 0 1\r\n7\r\nincr n 3\r\n"
      "delete a\r\nmg n v\r\nms m 2\r\nhi\r\nmn\r\n";
  Harness whole;
  std::string want = whole.Run(stream);
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    Harness h;
    std::string got = h.Run(stream.substr(0, cut));
    got += h.Run(stream.substr(cut));
    CHECK(got == want);
  }
}

TEST_CASE("ten thousand pipelined requests in one read") {
  Harness h;
  std::string in;
  std::string want;
  for (int i = 0; i < 5000; ++i) {
    std::string k = "key" + std::to_string(i);
    in += "set " + k + " 0 0 " + std::to_string(k.size()) + "\r\n" + k + "\r\n";
    in += "get " + k + "\r\n";
    want += "STORED\r\nVALUE " + k + " 0 " + std::to_string(k.size()) + "\r\n" + k + "\r\nEND\r\n";
  }
  CHECK(h.Run(in) == want);
}

TEST_CASE("output past the soft limit stops early and resumes") {
  Harness h;
  std::string value(500000, 'z');
  CHECK(h.Run("set big 0 0 500000\r\n" + value + "\r\n") == "STORED\r\n");
  std::string gets;
  for (int i = 0; i < 20; ++i) gets += "get big\r\n";
  kmd::net::ProcessResult r = h.session->Process(gets);
  CHECK(r.output_full);
  CHECK(r.consumed < gets.size());
  CHECK(h.session->HasOutput());
  std::string out = h.Drain();
  h.pending = gets.substr(r.consumed);
  out += h.Run("");
  std::string one = "VALUE big 0 500000\r\n" + value + "\r\nEND\r\n";
  CHECK(out.size() == one.size() * 20);
}

// memcached t/malicious-commands.t through the session: nothing is written, the connection closes.
TEST_CASE("malicious-commands.t: an HTTP request line is hung up on") {
  Harness h;
  CHECK(h.Run("GET / HTTP/1.0\r\n").empty());
  CHECK(h.last.close);
}

// memcached t/stats.t: the general group carries the listen-disabled and LRU-tail figures, zero.
TEST_CASE("stats.t: listen_disabled_num, time_in_listen_disabled_us, lrutail_reflocked") {
  Harness h;
  std::string general = h.Run("stats\r\n");
  CHECK(general.find("STAT listen_disabled_num 0\r\n") != std::string::npos);
  CHECK(general.find("STAT time_in_listen_disabled_us 0\r\n") != std::string::npos);
  CHECK(general.find("STAT lrutail_reflocked 0\r\n") != std::string::npos);
}

TEST_CASE("-R: after reqs_per_event requests of one read the session yields, then resumes") {
  Harness h;
  h.ctx.reqs_per_event = 3;
  std::string in;
  for (int i = 0; i < 7; ++i) in += "version\r\n";
  kmd::net::ProcessResult first = h.session->Process(in);
  CHECK(first.yield);
  CHECK(first.consumed == 3 * 9);
  CHECK(h.Drain() == "VERSION 1.6.18\r\nVERSION 1.6.18\r\nVERSION 1.6.18\r\n");
  h.pending.clear();
  CHECK(h.Run(in.substr(first.consumed)).size() == 4 * 16);
  CHECK_FALSE(h.last.yield);
}
