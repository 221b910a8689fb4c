// Command semantics against memcached 1.6.18 (do_store_item, do_add_delta, TTL, flush, meta).
#include <doctest/doctest.h>

#include <string>

#include "core/cache/store.h"
#include "tests/unit/cache/store_fixture.h"
#include "tests/unit/cache/test_args.h"

namespace kmd::cache {
namespace {

using namespace testing;  // NOLINT: test builders

TEST_CASE_FIXTURE(Fixture, "add, replace, append, prepend") {
  Store& s = *store;
  CHECK(s.Set(S("a", "1", 0, 0, StoreMode::kAdd)).status == OpStatus::kOk);
  CHECK(s.Set(S("a", "2", 0, 0, StoreMode::kAdd)).status == OpStatus::kNotStored);
  CHECK(GetValue(s, "a") == "1");
  CHECK(s.Set(S("r", "x", 0, 0, StoreMode::kReplace)).status == OpStatus::kNotStored);
  CHECK(GetValue(s, "r") == "<miss>");
  CHECK(s.Set(S("a", "3", 5, 0, StoreMode::kReplace)).status == OpStatus::kOk);
  CHECK(GetValue(s, "a") == "3");
  CHECK(s.Set(S("m", "x", 0, 0, StoreMode::kAppend)).status == OpStatus::kNotStored);
  CHECK(s.Set(S("m", "x", 0, 0, StoreMode::kPrepend)).status == OpStatus::kNotStored);
  // Append/prepend keep the old flags and exptime whatever the request carries.
  REQUIRE(s.Set(S("m", "mid", 7, 100)).status == OpStatus::kOk);
  CHECK(s.Set(S("m", "-end", 9, 5, StoreMode::kAppend)).status == OpStatus::kOk);
  CHECK(s.Set(S("m", "start-", 9, 5, StoreMode::kPrepend)).status == OpStatus::kOk);
  GetResult g = s.Get(G("m"));
  CHECK(Value(g.ref) == "start-mid-end");
  CHECK(g.info.flags == 7);
  CHECK(g.info.exptime == clock.NowSeconds() + 100);
  // Append with a wrong CAS is EXISTS, with the right one it stores.
  StoreArgs wrong = S("m", "!", 0, 0, StoreMode::kAppend);
  wrong.compare_cas = g.info.cas + 1000;
  CHECK(s.Set(wrong).status == OpStatus::kExists);
  wrong.compare_cas = g.info.cas;
  CHECK(s.Set(wrong).status == OpStatus::kOk);
  CHECK(GetValue(s, "m") == "start-mid-end!");
  // Add ignores a CAS (memcached NREAD_ADD), replace stores whatever the CAS.
  StoreArgs add = S("n", "v", 0, 0, StoreMode::kAdd);
  add.compare_cas = 12345;
  CHECK(s.Set(add).status == OpStatus::kOk);
  StoreArgs rep = S("n", "w", 0, 0, StoreMode::kReplace);
  rep.compare_cas = 12345;
  CHECK(s.Set(rep).status == OpStatus::kOk);
  CHECK(GetValue(s, "n") == "w");
}

TEST_CASE_FIXTURE(Fixture, "cas: missing, mismatch, match; every mutation gets a new cas") {
  Store& s = *store;
  CHECK(s.Set(Cas("c", "v", 99)).status == OpStatus::kNotFound);
  const uint64_t c1 = s.Set(S("c", "v1")).cas;
  const uint64_t other = s.Set(S("other", "o")).cas;
  CHECK(s.Set(Cas("c", "v2", c1 + 1)).status == OpStatus::kExists);
  StoreResult ok = s.Set(Cas("c", "v2", c1));
  CHECK(ok.status == OpStatus::kOk);
  CHECK(ok.cas != c1);
  CHECK(s.Set(Cas("c", "v3", c1)).status == OpStatus::kExists);
  CHECK(GetValue(s, "c") == "v2");
  // Touch does not change the CAS; append, incr do; other keys are untouched.
  CHECK(s.Touch("c", 100) == OpStatus::kOk);
  CHECK(s.Get(G("c")).info.cas == ok.cas);
  CHECK(s.Set(S("c", "1", 0, 0, StoreMode::kAppend)).cas != ok.cas);
  CHECK(s.Get(G("other")).info.cas == other);
  StoreStats st = s.Stats();
  CHECK(st.cas_misses == 1);
  CHECK(st.cas_hits == 1);
  CHECK(st.cas_badval == 2);
}

TEST_CASE_FIXTURE(Fixture, "delete with cas, touch and gat") {
  Store& s = *store;
  const uint64_t c = s.Set(S("d", "v")).cas;
  DeleteArgs d = D("d");
  d.compare_cas = c + 1;
  CHECK(s.Delete(d) == OpStatus::kExists);
  d.compare_cas = c;
  CHECK(s.Delete(d) == OpStatus::kOk);
  CHECK(s.Touch("d", 10) == OpStatus::kNotFound);

  s.Set(S("t", "v"));
  CHECK(s.Touch("t", 10) == OpStatus::kOk);
  clock.Advance(9);
  CHECK(GetValue(s, "t") == "v");
  GetArgs gat = G("t");
  gat.touch_exptime = 100;
  GetResult g = s.Get(gat);
  CHECK(g.status == OpStatus::kOk);
  CHECK(g.info.exptime == clock.NowSeconds() + 100);
  clock.Advance(50);
  CHECK(GetValue(s, "t") == "v");
  clock.Advance(50);
  CHECK(GetValue(s, "t") == "<miss>");
  StoreStats st = s.Stats();
  CHECK(st.cmd_touch == 3);
  CHECK(st.touch_hits == 2);
  CHECK(st.touch_misses == 1);
}

TEST_CASE_FIXTURE(Fixture, "ttl rules: relative, absolute, negative, boundary") {
  Store& s = *store;
  const int64_t now = clock.NowSeconds();
  s.Set(S("rel", "v", 0, 10));
  s.Set(S("abs", "v", 0, now + 20));
  s.Set(S("past", "v", 0, now - 5));
  s.Set(S("neg", "v", 0, -1));
  s.Set(S("max", "v", 0, 2592000));  // exactly 30 days: still relative
  CHECK(GetValue(s, "past") == "<miss>");
  CHECK(GetValue(s, "neg") == "<miss>");
  CHECK(s.Get(G("max")).info.exptime == now + 2592000);
  clock.Advance(9);
  CHECK(GetValue(s, "rel") == "v");
  clock.Advance(1);  // now == T: expired, as memcached (exptime <= current_time)
  CHECK(GetValue(s, "rel") == "<miss>");
  CHECK(GetValue(s, "abs") == "v");
  clock.Advance(10);
  CHECK(GetValue(s, "abs") == "<miss>");
  StoreStats st = s.Stats();
  CHECK(st.get_expired == 4);
  CHECK(st.curr_items == 1);
}

TEST_CASE_FIXTURE(Fixture, "incr/decr: wrap, floor, padding, non-numeric, create") {
  Store& s = *store;
  CHECK(s.Arith(A("n", true, 1)).status == OpStatus::kNotFound);
  s.Set(S("n", "10"));
  ArithResult r = s.Arith(A("n", false, 1));
  CHECK(r.status == OpStatus::kOk);
  CHECK(r.value == 9);
  CHECK(GetValue(s, "n") == "9 ");  // memcached pads in place
  r = s.Arith(A("n", true, 91));
  CHECK(r.value == 100);
  CHECK(GetValue(s, "n") == "100");
  CHECK(s.Arith(A("n", false, 1000)).value == 0);
  CHECK(GetValue(s, "n") == "0  ");
  s.Set(S("big", "18446744073709551615"));
  CHECK(s.Arith(A("big", true, 2)).value == 1);
  CHECK(GetValue(s, "big") == "1                   ");
  s.Set(S("x", "12abc"));
  CHECK(s.Arith(A("x", true, 1)).status == OpStatus::kNonNumeric);
  s.Set(S("neg", "-5"));
  CHECK(s.Arith(A("neg", true, 1)).status == OpStatus::kNonNumeric);
  s.Set(S("empty", ""));
  CHECK(s.Arith(A("empty", true, 1)).status == OpStatus::kNonNumeric);
  s.Set(S("huge", "18446744073709551616"));
  CHECK(s.Arith(A("huge", true, 1)).status == OpStatus::kNonNumeric);
  s.Set(S("sp", " 7 "));
  CHECK(s.Arith(A("sp", true, 1)).value == 8);
  // Growing past the old length makes a new item with the same flags.
  s.Set(S("g", "9", 3));
  const uint64_t before = s.Get(G("g")).info.cas;
  r = s.Arith(A("g", true, 1));
  CHECK(r.value == 10);
  CHECK(r.cas != before);
  GetResult g = s.Get(G("g"));
  CHECK(Value(g.ref) == "10");
  CHECK(g.info.flags == 3);
  // A pinned item is not rewritten under the reader: the reader keeps its bytes.
  r = s.Arith(A("g", false, 5));
  CHECK(Value(g.ref) == "10");
  CHECK(GetValue(s, "g") == "5");  // pinned: a new item, no padding (memcached)
  // compare_cas and create.
  ArithArgs cas = A("g", true, 1);
  cas.compare_cas = 1;
  CHECK(s.Arith(cas).status == OpStatus::kExists);
  ArithArgs create = A("new", true, 5);
  create.create = true;
  create.initial = 42;
  r = s.Arith(create);
  CHECK(r.status == OpStatus::kOk);
  CHECK(r.created);
  CHECK(r.value == 42);
  CHECK(GetValue(s, "new") == "42");
  CHECK(s.Arith(create).value == 47);
  StoreStats st = s.Stats();
  CHECK(st.incr_misses == 2);
  CHECK(st.decr_hits == 3);
}

TEST_CASE_FIXTURE(Fixture, "too large and MaxValueSize follow memcached item_size_ok") {
  cfg.max_item_size = 1024;
  Store s(cfg);
  const size_t max = s.MaxValueSize(3);
  CHECK(max == 1024 - 59 - 3);
  CHECK(s.Set(S("key", std::string(max, 'x'))).status == OpStatus::kOk);
  CHECK(s.Set(S("key", std::string(max + 1, 'x'))).status == OpStatus::kTooLarge);
  CHECK(s.Set(S("key", std::string(max, 'x'), 1)).status == OpStatus::kTooLarge);
  // A failed plain set removes the old value (memcached process_update_command); cas does not.
  CHECK(s.Set(S("key", std::string(max + 1, 'x'))).status == OpStatus::kTooLarge);
  CHECK(GetValue(s, "key") == "<miss>");
  const uint64_t c = s.Set(S("key", "small")).cas;
  StoreArgs big = Cas("key", std::string(max + 1, 'x'), c);
  CHECK(s.Set(big).status == OpStatus::kTooLarge);
  CHECK(GetValue(s, "key") == "small");
  // Append past the limit is NOT_STORED (memcached: the combined allocation fails).
  s.Set(S("key", std::string(max, 'x')));
  CHECK(s.Set(S("key", "y", 0, 0, StoreMode::kAppend)).status == OpStatus::kNotStored);
}

TEST_CASE_FIXTURE(Fixture, "flushed items count as reclaimed (memcached t/issue_183.t)") {
  Store& s = *store;
  s.Set(S("key", "1"));
  CHECK(s.Stats().reclaimed == 0);
  s.Flush(0);
  CHECK(s.Set(S("key", "1")).status == OpStatus::kOk);
  CHECK(s.Stats().reclaimed == 1);
}

TEST_CASE_FIXTURE(Fixture, "flush immediate and delayed") {
  Store& s = *store;
  s.Set(S("a", "1"));
  s.Set(S("b", "2"));
  s.Flush(0);
  CHECK(GetValue(s, "a") == "<miss>");
  CHECK(s.Stats().curr_items == 0);
  s.Set(S("a", "1"));
  CHECK(GetValue(s, "a") == "1");  // items set after the flush survive
  s.Flush(10);
  s.Set(S("b", "2"));
  clock.Advance(8);
  CHECK(GetValue(s, "a") == "1");
  CHECK(GetValue(s, "b") == "2");
  clock.Advance(1);  // memcached: oldest_live = now + delay - 1
  CHECK(GetValue(s, "a") == "<miss>");
  CHECK(GetValue(s, "b") == "<miss>");
  clock.Advance(1);
  s.Set(S("c", "3"));
  CHECK(GetValue(s, "c") == "3");
  // A later flush replaces a pending one.
  s.Flush(100);
  s.Flush(5);
  clock.Advance(4);
  CHECK(GetValue(s, "c") == "<miss>");
  clock.Advance(1);
  // Measured on memcached 1.6.18: flush_all N takes effect after N-1 seconds and an item set
  // during that second is flushed as well; one set a second later survives.
  s.Flush(5);
  s.Set(S("q", "1"));
  clock.Advance(3);
  CHECK(GetValue(s, "q") == "1");
  clock.Advance(1);
  CHECK(GetValue(s, "q") == "<miss>");
  s.Set(S("q", "2"));
  CHECK(GetValue(s, "q") == "<miss>");
  clock.Advance(1);
  s.Set(S("q", "3"));
  CHECK(GetValue(s, "q") == "3");
  s.Set(S("d", "4"));
  clock.Advance(200);
  CHECK(GetValue(s, "d") == "4");
  CHECK(s.Stats().cmd_flush == 5);
}

TEST_CASE_FIXTURE(Fixture, "meta: vivify, recache, invalidate, no bump, access info") {
  Store& s = *store;
  GetArgs viv = G("v");
  viv.vivify_exptime = 30;
  GetResult g = s.Get(viv);
  CHECK(g.status == OpStatus::kOk);
  CHECK(g.created);
  CHECK(g.info.win);
  CHECK(g.ref.value_size() == 0);
  g = s.Get(viv);
  CHECK(g.status == OpStatus::kOk);
  CHECK_FALSE(g.created);
  CHECK_FALSE(g.info.win);
  CHECK(g.info.win_sent_before);
  s.Set(S("v", "filled"));
  g = s.Get(viv);
  CHECK_FALSE(g.info.win_sent_before);

  // Recache: win once when the remaining TTL drops below the threshold.
  s.Set(S("r", "v", 0, 100));
  GetArgs rc = G("r");
  rc.recache_below = 30;
  CHECK_FALSE(s.Get(rc).info.win);
  clock.Advance(80);
  g = s.Get(rc);
  CHECK(g.info.win);
  CHECK_FALSE(g.info.win_sent_before);
  g = s.Get(rc);
  CHECK_FALSE(g.info.win);
  CHECK(g.info.win_sent_before);

  // Invalidate: the item stays, stale; first reader wins; a set clears it.
  const uint64_t cas = s.Set(S("i", "old", 0, 100)).cas;
  DeleteArgs inv = D("i");
  inv.invalidate = true;
  inv.new_exptime = 30;
  CHECK(s.Delete(inv) == OpStatus::kOk);
  g = s.Get(G("i"));
  REQUIRE(g.status == OpStatus::kOk);
  CHECK(g.info.stale);
  CHECK(g.info.win);
  CHECK(g.info.cas != cas);
  CHECK(g.info.exptime == clock.NowSeconds() + 30);
  g = s.Get(G("i"));
  CHECK(g.info.stale);
  CHECK_FALSE(g.info.win);
  CHECK(g.info.win_sent_before);
  // A stale writer (older CAS) with invalidate stores but the item stays stale.
  StoreArgs late = Cas("i", "late", cas);
  late.invalidate = true;
  CHECK(s.Set(late).status == OpStatus::kOk);
  g = s.Get(G("i"));
  CHECK(Value(g.ref) == "late");
  CHECK(g.info.stale);
  s.Set(S("i", "fresh"));
  CHECK_FALSE(s.Get(G("i")).info.stale);

  // new_cas sets the CAS explicitly.
  StoreArgs e = S("e", "v");
  e.new_cas = 777;
  CHECK(s.Set(e).cas == 777);
  CHECK(s.Get(G("e")).info.cas == 777);

  // fetched_before / last_access_ago describe the state before this access; bump=false
  // leaves it alone.
  s.Set(S("h", "v"));
  clock.Advance(7);
  GetArgs nb = G("h");
  nb.bump = false;
  g = s.Get(nb);
  CHECK_FALSE(g.info.fetched_before);
  CHECK(g.info.last_access_ago == 7);
  g = s.Get(G("h"));
  CHECK_FALSE(g.info.fetched_before);
  CHECK(g.info.last_access_ago == 7);
  g = s.Get(G("h"));
  CHECK(g.info.fetched_before);
  CHECK(g.info.last_access_ago == 0);

  // Touch adding an exptime to an item stored without one (copied into a roomier chunk).
  std::string v(142 - 26 - 1, 'z');  // fills a 144-byte chunk: no spare room
  s.Set(S("k", v));
  const uint64_t kcas = s.Get(G("k")).info.cas;
  CHECK(s.Touch("k", 50) == OpStatus::kOk);
  g = s.Get(G("k"));
  CHECK(Value(g.ref) == v);
  CHECK(g.info.cas == kcas);
  CHECK(g.info.exptime == clock.NowSeconds() + 50);
}

}  // namespace
}  // namespace kmd::cache
