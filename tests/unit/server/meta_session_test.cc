// Meta commands (mg ms md ma mn me) through TextSession against a real cache::Store; expected
// bytes were checked against memcached 1.6.18 (CAS numbers aside, which differ per server).
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "core/cache/store.h"
#include "server/dispatch/dispatch_context.h"
#include "server/dispatch/text_session.h"
#include "tests/support/manual_clock.h"

namespace {

using kmd::dispatch::DispatchContext;
using kmd::dispatch::TextSession;

struct Harness {
  Harness() : store(Config(&clock)) {
    ctx.store = &store;
    ctx.counters = &counters;
    session = std::make_unique<TextSession>(ctx);
  }
  static kmd::cache::StoreConfig Config(const kmd::base::Clock* clock) {
    kmd::cache::StoreConfig config;
    config.memory_limit = 16u << 20;
    config.clock = clock;
    return config;
  }
  std::string Run(std::string_view in) {
    kmd::net::ProcessResult r;
    size_t consumed = 0;
    do {  // a connection resumes after a -R yield
      r = session->Process(in.substr(consumed));
      consumed += r.consumed;
    } while (r.yield);
    CHECK(consumed == in.size());
    std::pmr::vector<iovec> iov;
    session->TakeOutput(&iov);
    std::string out;
    for (const iovec& v : iov) out.append(static_cast<const char*>(v.iov_base), v.iov_len);
    session->Written();
    return out;
  }
  // The CAS value from a reply carrying " c<cas>".
  static std::string Cas(const std::string& reply) {
    size_t p = reply.find(" c");
    size_t e = reply.find_first_of(" \r", p + 2);
    return reply.substr(p + 2, e - p - 2);
  }

  kmd::test::ManualClock clock;
  kmd::cache::Store store;
  kmd::net::ServerCounters counters;
  DispatchContext ctx;
  std::unique_ptr<TextSession> session;
};

}  // namespace

TEST_CASE("ms then mg with return flags") {
  Harness h;
  CHECK(h.Run("ms foo 2\r\nhi\r\n") == "HD\r\n");
  CHECK(h.Run("mg foo v\r\n") == "VA 2\r\nhi\r\n");
  std::string r = h.Run("mg foo s v f t k O123 h l\r\n");
  CHECK(r == "VA 2 s2 f0 t-1 kfoo O123 h1 l0\r\nhi\r\n");
  CHECK(h.Run("mg foo q\r\n") == "HD\r\n");  // q hides only EN
  CHECK(h.Run("mg miss q\r\nmg miss k O1 q v\r\nmn\r\n") == "MN\r\n");
  CHECK(h.Run("mg miss k O1 v\r\n") == "EN kmiss O1\r\n");
  CHECK(h.Run("mg foo\r\n") == "HD\r\n");
}

TEST_CASE("ms flags: T F c k O b q and modes") {
  Harness h;
  std::string r = h.Run("ms foo 2 T100 F5 c k O9\r\nhi\r\n");
  CHECK(r.rfind("HD c", 0) == 0);
  CHECK(r.find(" kfoo O9\r\n") != std::string::npos);
  CHECK(h.Run("mg foo f t v\r\n") == "VA 2 f5 t100\r\nhi\r\n");
  CHECK(h.Run("ms foo 2 q\r\nhi\r\n") == "");
  CHECK(h.Run("ms foo 2 ME\r\nhi\r\nms foo 2 ME q\r\nhi\r\n") == "NS\r\nNS\r\n");
  CHECK(h.Run("ms foo 2 MR\r\nhi\r\nms nope 2 MR q\r\nhi\r\n") == "HD\r\nNS\r\n");
  CHECK(h.Run("ms foo 2 MA\r\n!!\r\nms foo 2 MP\r\n<<\r\nmg foo v\r\n") ==
        "HD\r\nHD\r\nVA 6\r\n<<hi!!\r\n");
  CHECK(h.Run("ms foo 2 MX\r\nhi\r\nms foo\r\nms foo abc\r\nhi\r\n") ==
        "CLIENT_ERROR invalid mode for ms M token\r\nCLIENT_ERROR bad command line format\r\n"
        "CLIENT_ERROR bad command line format\r\nERROR\r\n");
  CHECK(h.Run("ms Zm9v 2 b k\r\nhi\r\nmg Zm9v b k v\r\n") ==
        "HD kZm9v b\r\nVA 2 kZm9v b\r\nhi\r\n");
  CHECK(h.Run("ms foo 2\r\nhixx\r\n") == "CLIENT_ERROR bad data chunk\r\nERROR\r\n");
}

TEST_CASE("ms with C compares CAS; I marks a stale write") {
  Harness h;
  std::string r = h.Run("ms foo 2 c\r\nhi\r\n");
  std::string cas = Harness::Cas(r);
  CHECK(h.Run("ms foo 2 C1\r\nhi\r\nms foo 2 C1 q\r\nhi\r\n") == "EX\r\nEX\r\n");
  CHECK(h.Run("ms foo 2 C0\r\nhi\r\n") == "EX\r\n");
  CHECK(h.Run("ms nope 2 C5\r\nhi\r\n") == "NF\r\n");
  CHECK(h.Run("ms foo 2 C" + cas + "\r\nyo\r\n") == "HD\r\n");
  CHECK(h.Run("mg foo v\r\n") == "VA 2\r\nyo\r\n");
}

TEST_CASE("md: delete, q, C, I with T, opaque and key echo") {
  Harness h;
  CHECK(h.Run("ms foo 2\r\nhi\r\n") == "HD\r\n");
  CHECK(h.Run("md foo q\r\n") == "");
  // memcached 1.6.18 does not hide NF under q.
  CHECK(h.Run("md foo q\r\nmd foo O1 k\r\n") == "NF\r\nNF O1 kfoo\r\n");
  CHECK(h.Run("ms st 2 T100\r\nhi\r\nmd st C1\r\n") == "HD\r\nEX\r\n");
  CHECK(h.Run("md st I T30\r\n") == "HD\r\n");
  std::string r = h.Run("mg st t v\r\n");
  CHECK(r == "VA 2 t30 X W\r\nhi\r\n");
  CHECK(h.Run("mg st v\r\n") == "VA 2 Z X\r\nhi\r\n");
  CHECK(h.Run("md foo z\r\n") == "CLIENT_ERROR invalid or duplicate flag\r\n");
}

TEST_CASE("mg N vivifies, R wins a recache, Z for the rest") {
  Harness h;
  CHECK(h.Run("mg viv N30 t v\r\n") == "VA 0 t30 W\r\n\r\n");
  CHECK(h.Run("mg viv N30 t v\r\n") == "VA 0 t30 Z\r\n\r\n");
  CHECK(h.Run("ms rc 2 T100\r\nhi\r\nmg rc R30 v\r\n") == "HD\r\nVA 2\r\nhi\r\n");
  CHECK(h.Run("mg rc R200 v\r\n") == "VA 2 W\r\nhi\r\n");
  CHECK(h.Run("mg rc R200 v\r\n") == "VA 2 Z\r\nhi\r\n");
}

TEST_CASE("mg T touches, h and l report history") {
  Harness h;
  CHECK(h.Run("ms foo 2 T0\r\nhi\r\n") == "HD\r\n");
  CHECK(h.Run("mg foo t\r\n") == "HD t-1\r\n");
  CHECK(h.Run("mg foo T100 t\r\n") == "HD t100\r\n");
  h.clock.Advance(10);
  CHECK(h.Run("mg foo t v\r\n") == "VA 2 t90\r\nhi\r\n");
  CHECK(h.Run("mg foo h\r\n") == "HD h1\r\n");
}

TEST_CASE("ma: incr, decr, vivify, q, errors") {
  Harness h;
  CHECK(h.Run("ma cnt\r\n") == "NF\r\n");
  CHECK(h.Run("ma cnt N0 J10 v\r\n") == "VA 2\r\n10\r\n");
  CHECK(h.Run("ma cnt v\r\n") == "VA 2\r\n11\r\n");
  std::string r = h.Run("ma cnt MD D3 v t\r\n");
  CHECK(r == "VA 1 t-1\r\n8\r\n");
  CHECK(h.Run("ma cnt M- D100 v\r\n") == "VA 1\r\n0\r\n");
  CHECK(h.Run("ma cnt MX\r\n") == "CLIENT_ERROR invalid mode for ma M token\r\n");
  CHECK(h.Run("ma cnt q\r\nma cnt q O5 k\r\nmn\r\n") == "MN\r\n");
  CHECK(h.Run("ma cnt D-1\r\n") == "CLIENT_ERROR invalid or duplicate flag\r\n");
  CHECK(h.Run("ma nn O7 k\r\n") == "NF O7 knn\r\n");
  CHECK(h.Run("ma c2 N0 J5 q\r\n") == "HD\r\n");  // created: not hidden by q in 1.6.18
  CHECK(h.Run("ma c2 T100 t v\r\n") == "VA 1 t100\r\n6\r\n");
  CHECK(h.Run("ms s 2\r\nab\r\nma s\r\n") ==
        "HD\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
  CHECK(h.Run("ma cnt C1\r\n") == "EX\r\n");
}

TEST_CASE("me debug line and miss") {
  Harness h;
  CHECK(h.Run("me nokey\r\n") == "EN\r\n");
  CHECK(h.Run("ms t1 2 T100\r\nhi\r\n") == "HD\r\n");
  std::string r = h.Run("me t1\r\n");
  CHECK(r.rfind("ME t1 exp=-100 la=0 cas=", 0) == 0);
  CHECK(r.find(" fetch=no cls=") != std::string::npos);
  CHECK(r.find(" size=") != std::string::npos);
  CHECK(r.substr(r.size() - 2) == "\r\n");
  CHECK(h.Run("me " + std::string(251, 'a') + "\r\n") ==
        "CLIENT_ERROR bad command line format\r\n");
}
