// Each policy's victim order on small hand-made sequences: what makes it that policy (FIFO ignores
// hits, LRU moves on hit, SIEVE spares a visited item once, S3-FIFO filters one-hit wonders
// through small and readmits a ghost to main, W-TinyLFU and LFU keep a frequent item against a
// scan, and LFU later ages it out).
#include <doctest/doctest.h>

#include <vector>

#include "tests/conformance/policy_harness.h"

namespace kmd::cache::policy::testing {
namespace {

// A policy over items 0..7 with `refs` inserted in that order: most hand-made sequences start so.
template <class P>
struct Seq {
  explicit Seq(std::initializer_list<uint32_t> refs) { Insert(refs); }
  void Insert(std::initializer_list<uint32_t> refs) {
    for (uint32_t r : refs) {
      items.Fresh(r);
      p.Insert(r, items.hash(r), items);
    }
  }
  void Hit(uint32_t r) { p.Hit(r, items.hash(r), items); }
  uint32_t EvictVictim() {
    const uint32_t v = p.Victim(items);
    p.Evict(v, items);
    return v;
  }
  std::vector<uint32_t> Order() { return Enumerate(p, items); }
  Items items{8};
  P p;
};

// The slot holding `key` in a KeyCache, found by enumeration.
template <class P>
uint32_t SlotOf(KeyCache<P>& c, uint64_t key) {
  auto v = c.view();
  for (uint32_t r : Enumerate(c.policy(), v)) {
    if (c.key_of(r) == key) return r;
  }
  return kNoItem;
}

TEST_CASE("order: a hit moves the item to the head under LRU, and changes nothing under FIFO") {
  Seq<FifoPolicy> fifo({1, 2, 3, 4});
  Seq<LruPolicy> lru({1, 2, 3, 4});
  fifo.Hit(1);
  lru.Hit(1);
  CHECK(fifo.Order() == std::vector<uint32_t>{1, 2, 3, 4});
  CHECK(lru.Order() == std::vector<uint32_t>{2, 3, 4, 1});
  CHECK(fifo.EvictVictim() == 1);
  CHECK(lru.EvictVictim() == 2);
}

TEST_CASE("order: SIEVE spares a visited item once and its hand keeps moving toward the head") {
  Seq<SievePolicy> s({1, 2, 3});
  s.Hit(1);
  CHECK(s.EvictVictim() == 2);  // 1 was visited: its bit is cleared, 2 goes
  s.Insert({4});
  // The hand stands after 2, toward the head: 3, then the newer 4, before it wraps back to 1.
  CHECK(s.Order() == std::vector<uint32_t>{3, 4, 1});
  CHECK(s.EvictVictim() == 3);
  CHECK(s.EvictVictim() == 4);
  CHECK(s.EvictVictim() == 1);  // the second time round, 1 has no visit left
  CHECK(s.p.empty());
}

TEST_CASE("order: SIEVE removing the hand's item moves the hand on") {
  Seq<SievePolicy> s({1, 2, 3});
  s.Hit(1);
  CHECK(s.p.Victim(s.items) == 2);  // the hand now rests on 2
  s.p.Remove(2, s.items);           // deleted, not evicted: the hand steps to 3
  CHECK(s.p.Victim(s.items) == 3);
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

// Whether a key read 40 times survives a scan of `scan_length` keys read once, in a cache of 100.
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
  Seq<LfuPolicy> s({1, 2, 3});
  s.Hit(1);  // level 0 -> 1 always
  CHECK(s.Order() == std::vector<uint32_t>{2, 3, 1});
  CHECK(s.EvictVictim() == 2);
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
