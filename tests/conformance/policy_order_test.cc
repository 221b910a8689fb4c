// Each policy's victim order on small hand-made sequences: what makes it that policy (FIFO ignores
// hits, LRU moves on hit, SIEVE spares a visited item once, S3-FIFO filters one-hit wonders
// through small and readmits a ghost to main, W-TinyLFU and LFU keep a frequent item against a
// scan, and LFU later ages it out).
#include <doctest/doctest.h>

#include <vector>

#include "tests/conformance/policy_harness.h"

namespace kmd::cache::policy::testing {
namespace {

template <class P>
void InsertAll(P& p, Items& items, std::initializer_list<uint32_t> refs) {
  for (uint32_t r : refs) {
    items.Fresh(r);
    p.Insert(r, items.hash(r), items);
  }
}

template <class P>
uint32_t EvictVictim(P& p, Items& items) {
  const uint32_t v = p.Victim(items);
  p.Evict(v, items);
  return v;
}

// The slot holding `key` in a KeyCache, found by enumeration.
template <class P>
uint32_t SlotOf(KeyCache<P>& c, uint64_t key) {
  auto v = c.view();
  for (uint32_t r : Enumerate(c.policy(), v)) {
    if (c.key_of(r) == key) return r;
  }
  return kNoItem;
}

TEST_CASE("order: FIFO ignores hits") {
  Items items(8);
  FifoPolicy p;
  InsertAll(p, items, {1, 2, 3, 4});
  p.Hit(1, items.hash(1), items);
  p.Hit(1, items.hash(1), items);
  CHECK(Enumerate(p, items) == std::vector<uint32_t>{1, 2, 3, 4});
  CHECK(EvictVictim(p, items) == 1);
  CHECK(EvictVictim(p, items) == 2);
}

TEST_CASE("order: LRU moves a hit item to the head") {
  Items items(8);
  LruPolicy p;
  InsertAll(p, items, {1, 2, 3});
  p.Hit(1, items.hash(1), items);
  CHECK(Enumerate(p, items) == std::vector<uint32_t>{2, 3, 1});
  CHECK(EvictVictim(p, items) == 2);
}

TEST_CASE("order: SIEVE spares a visited item once and its hand keeps moving toward the head") {
  Items items(8);
  SievePolicy p;
  InsertAll(p, items, {1, 2, 3});
  p.Hit(1, items.hash(1), items);
  CHECK(EvictVictim(p, items) == 2);  // 1 was visited: its bit is cleared, 2 goes
  InsertAll(p, items, {4});
  // The hand stands after 2, toward the head: 3, then the newer 4, before it wraps back to 1.
  CHECK(Enumerate(p, items) == std::vector<uint32_t>{3, 4, 1});
  CHECK(EvictVictim(p, items) == 3);
  CHECK(EvictVictim(p, items) == 4);
  CHECK(EvictVictim(p, items) == 1);  // the second time round, 1 has no visit left
  CHECK(p.empty());
}

TEST_CASE("order: SIEVE removing the hand's item moves the hand on") {
  Items items(8);
  SievePolicy p;
  InsertAll(p, items, {1, 2, 3});
  p.Hit(1, items.hash(1), items);
  CHECK(p.Victim(items) == 2);  // the hand now rests on 2
  p.Remove(2, items);           // deleted, not evicted: the hand steps to 3
  CHECK(p.Victim(items) == 3);
}

TEST_CASE("order: S3-FIFO sends one-hit wonders out through small and readmits a ghost to main") {
  KeyCache<S3FifoPolicy> c(10);  // small's share is 1 item (10%)
  // Warm-up: 1 fills small, 2..10 go to main; 2..10 are then read once more.
  for (uint64_t k = 1; k <= 10; ++k) c.Access(k);
  for (uint64_t k = 2; k <= 10; ++k) CHECK(c.Access(k));
  // Each new key pushes the one before it, never read again, out of small and into the ghost.
  for (uint64_t k = 11; k <= 13; ++k) c.Access(k);
  for (uint64_t k : {1, 11, 12}) CHECK_FALSE(c.Contains(k));
  for (uint64_t k = 2; k <= 10; ++k) CHECK(c.Contains(k));
  CHECK(c.Contains(13));
  // 12 is remembered by the ghost: requested again, it goes straight to main.
  CHECK_FALSE(c.Access(12));
  const uint32_t slot = SlotOf(c, 12);
  REQUIRE(slot != kNoItem);
  CHECK((c.view().meta(slot) & S3FifoPolicy::kMain) != 0);
  CHECK_FALSE(c.Contains(13));  // and 13, unread in small, made room for it
  // A key never seen before enters small.
  c.Access(100);
  const uint32_t fresh = SlotOf(c, 100);
  REQUIRE(fresh != kNoItem);
  CHECK((c.view().meta(fresh) & S3FifoPolicy::kMain) == 0);
}

// A frequently read key, then a scan of keys read once: `frequent` says whether it survived.
template <class P>
bool SurvivesScan(uint64_t scan_length) {
  KeyCache<P> c(100);
  for (uint64_t k = 1000; k < 1100; ++k) c.Access(k);
  for (int i = 0; i < 40; ++i) c.Access(7);
  for (uint64_t k = 0; k < scan_length; ++k) c.Access(1'000'000 + k);
  return c.Contains(7);
}

TEST_CASE("order: W-TinyLFU keeps a frequent item against a scan; LRU does not") {
  CHECK(SurvivesScan<WTinyLfuPolicy>(1000));
  CHECK_FALSE(SurvivesScan<LruPolicy>(1000));
}

TEST_CASE("order: LFU keeps a frequent item against a scan, then ages it out") {
  CHECK(SurvivesScan<LfuPolicy>(300));
  // Each sweep (2 x size() operations) lowers it one level: it cannot outlive 16 sweeps.
  CHECK_FALSE(SurvivesScan<LfuPolicy>(16 * 2 * 100 + 200));
}

TEST_CASE("order: LFU evicts the least frequent first, least recent among equals") {
  Items items(8);
  LfuPolicy p;
  InsertAll(p, items, {1, 2, 3});
  p.Hit(1, items.hash(1), items);  // level 0 -> 1 always
  CHECK(Enumerate(p, items) == std::vector<uint32_t>{2, 3, 1});
  CHECK(EvictVictim(p, items) == 2);
}

TEST_CASE("order: W-TinyLFU admits a window candidate only if it is more frequent") {
  KeyCache<WTinyLfuPolicy> c(100);  // window of 1
  for (uint64_t k = 0; k < 100; ++k) c.Access(k);
  for (int i = 0; i < 3; ++i) {
    for (uint64_t k = 0; k < 100; ++k) c.Access(k);  // every resident key is read 3 more times
  }
  // A new key reaches the window's tail two misses later and duels: seen once, it loses.
  for (uint64_t k : {500, 501, 502}) c.Access(k);
  CHECK_FALSE(c.Contains(500));
  for (int i = 0; i < 8; ++i) c.Access(600);  // read often while in the window...
  c.Access(601);
  c.Access(602);  // ...600 is admitted when its duel comes
  CHECK(c.Contains(600));
  const uint32_t slot = SlotOf(c, 600);
  REQUIRE(slot != kNoItem);
  CHECK(c.view().meta(slot) == WTinyLfuPolicy::kProbation);
}

}  // namespace
}  // namespace kmd::cache::policy::testing
