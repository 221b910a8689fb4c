// The contract of policy/eviction_policy.h, for every policy (directly and behind AnyPolicy):
// capacity through KeyCache (objects and bytes), no item lost or duplicated under random
// insert/hit/remove/evict sequences (evicting a Next() of the victim, as the Store does for a
// pinned one), Victim on empty, bounded policy-owned memory, and AnyPolicy::Rebuild between kinds.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "tests/conformance/policy_harness.h"

namespace kmd::cache::policy::testing {
namespace {

// Drives a policy as the Store does, over items 0..n-1, keeping at most `cap` resident.
template <class P>
class Driver {
 public:
  Driver(P& p, Items& items, size_t cap, uint64_t seed)
      : p_(p), items_(items), in_(items.l.size()), cap_(cap), rng_(seed) {}

  // One random operation: a miss inserts (evicting first when full), a resident item is hit or
  // removed. A quarter of evictions take the victim's Next() (the victim is "pinned").
  void Step() {
    const uint32_t r = static_cast<uint32_t>(rng_() % in_.size());
    if (!in_[r]) {
      if (count_ >= cap_) EvictOne();
      items_.Fresh(r);
      p_.Insert(r, items_.hash(r), items_);
      Set(r, true);
      return;
    }
    const unsigned dice = rng_() % 100;
    if (dice < 75) {
      p_.Hit(r, items_.hash(r), items_);
    } else if (dice < 90) {
      p_.Remove(r, items_);
      Set(r, false);
    }
  }
  void EvictOne() {
    uint32_t v = p_.Victim(items_);
    REQUIRE(v != kNoItem);
    REQUIRE(in_[v]);
    if (rng_() % 4 == 0) {
      const uint32_t w = p_.Next(v, items_);
      if (w != kNoItem) {
        REQUIRE(w != v);
        REQUIRE(in_[w]);
        v = w;
      }
    }
    p_.Evict(v, items_);
    Set(v, false);
  }
  std::vector<uint32_t> Resident() const {
    std::vector<uint32_t> out;
    for (uint32_t r = 0; r < in_.size(); ++r) {
      if (in_[r]) out.push_back(r);
    }
    return out;
  }
  size_t count() const { return count_; }

 private:
  void Set(uint32_t r, bool in) {
    in_[r] = in;
    count_ += in ? 1 : -1;
  }
  P& p_;
  Items& items_;
  std::vector<bool> in_;
  size_t count_ = 0;
  size_t cap_;
  std::mt19937_64 rng_;
};

// A policy over `n` items after `steps` random operations keeping at most `cap` resident.
template <class P>
struct Warmed {
  Warmed(size_t n, size_t cap, uint64_t seed, int steps) : items(n), d(p, items, cap, seed) {
    for (int i = 0; i < steps; ++i) d.Step();
  }
  P p;
  Items items;
  Driver<P> d;
};

TEST_CASE_TEMPLATE("conformance: Victim and First on an empty policy are kNoItem", P,
                   KMD_ALL_POLICIES) {
  P p;
  Items items(8);
  CHECK(p.empty());
  CHECK(p.size() == 0);
  CHECK(p.Victim(items) == kNoItem);
  CHECK(p.First(items) == kNoItem);
  items.Fresh(3);
  p.Insert(3, items.hash(3), items);
  CHECK(p.size() == 1);
  CHECK(p.Victim(items) == 3);
  p.Remove(3, items);
  CHECK(p.empty());
  CHECK(p.Victim(items) == kNoItem);
  CHECK(p.First(items) == kNoItem);
}

TEST_CASE_TEMPLATE("conformance: random insert/hit/remove/evict keeps every item exactly once", P,
                   KMD_ALL_POLICIES) {
  for (size_t cap : {1u, 7u, 200u}) {
    CAPTURE(cap);
    P p;
    Items items(512);
    Driver<P> d(p, items, cap, 42 + cap);
    for (int i = 0; i < 20000; ++i) {
      d.Step();
      if (i % 997 == 0) CheckResidentSet(p, items, d.Resident());
    }
    CheckResidentSet(p, items, d.Resident());
    // Evicting everything gives each item back once, then nothing.
    while (d.count() > 0) d.EvictOne();
    CHECK(p.empty());
    CHECK(p.Victim(items) == kNoItem);
  }
}

TEST_CASE_TEMPLATE("conformance: Next from a pinned victim gives the other items", P,
                   KMD_ALL_POLICIES) {
  Warmed<P> w(64, 48, 7, 3000);
  auto& [p, items, d] = w;
  const uint32_t v = p.Victim(items);
  REQUIRE(v != kNoItem);
  std::vector<uint32_t> after;
  for (uint32_t r = p.Next(v, items); r != kNoItem && after.size() <= p.size();
       r = p.Next(r, items)) {
    after.push_back(r);
  }
  CHECK(!after.empty());
  CHECK(std::find(after.begin(), after.end(), v) == after.end());
  std::vector<uint32_t> sorted = after;
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
  const std::vector<uint32_t> resident = d.Resident();
  for (uint32_t r : after) CHECK(std::binary_search(resident.begin(), resident.end(), r));
  CheckResidentSet(p, items, resident);  // Victim and Next removed nothing
}

TEST_CASE_TEMPLATE("conformance: a walk that removes items as it goes meets every item once", P,
                   KMD_ALL_POLICIES) {
  // As the expiry crawler does: take Next() of the current item, then maybe remove the current.
  Warmed<P> w(256, 200, 11, 5000);
  auto& [p, items, d] = w;
  std::vector<uint32_t> before = d.Resident();
  std::vector<uint32_t> visited, kept;
  std::mt19937 coin(5);
  for (uint32_t r = p.First(items); r != kNoItem && visited.size() <= before.size();) {
    const uint32_t next = p.Next(r, items);
    visited.push_back(r);
    if (coin() % 2 == 0) {
      p.Remove(r, items);
    } else {
      kept.push_back(r);
    }
    r = next;
  }
  std::sort(visited.begin(), visited.end());
  CHECK(visited == before);
  CheckResidentSet(p, items, kept);
}

TEST_CASE_TEMPLATE("conformance: KeyCache capacity in objects holds under a skewed stream", P,
                   KMD_ALL_POLICIES) {
  KeyCache<P> c(150);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 30000; ++i) {
    const uint64_t key = rng() % 2 == 0 ? rng() % 60 : rng() % 3000;
    c.Access(key);
    REQUIRE(c.resident() <= 150);
    REQUIRE(c.policy().size() == c.resident());
    if (i % 1999 == 0) {
      std::vector<uint64_t> keys = ResidentKeys(c);
      CHECK(keys.size() == c.resident());
      for (uint64_t k : keys) CHECK(c.Contains(k));
    }
  }
  CHECK(c.resident() == 150);
  CHECK(c.evictions() > 0);
}

TEST_CASE_TEMPLATE("conformance: KeyCache capacity in bytes holds with mixed object sizes", P,
                   KMD_ALL_POLICIES) {
  KeyCache<P> c(20000, /*by_bytes=*/true);
  std::mt19937_64 rng(2);
  for (int i = 0; i < 30000; ++i) {
    const uint64_t key = rng() % 2 == 0 ? rng() % 40 : rng() % 4000;
    c.Access(key, static_cast<uint32_t>(1 + Mix64(key) % 700));
    REQUIRE(c.used() <= 20000);
    REQUIRE(c.policy().size() == c.resident());
    if (i % 3 == 0) c.Erase(rng() % 4000);
  }
  CHECK(ResidentKeys(c).size() == c.resident());
  CHECK(c.evictions() > 0);
}

TEST_CASE_TEMPLATE("conformance: policy-owned memory follows size() up and down", P,
                   KMD_ALL_POLICIES) {
  KeyCache<P> c(20000);
  for (uint64_t k = 0; k < 60000; ++k) c.Access(k % 30000 + (k / 30000) * 7);
  CHECK(c.resident() == 20000);
  // The sketch (8-16 bytes per item) is the largest owned structure of any policy.
  CHECK(c.policy().MetadataBytes() <= 20000 * 24);
  for (uint64_t k = 0; k < 40000; ++k) c.Erase(k);
  CHECK(c.resident() == 0);
  CHECK(c.policy().MetadataBytes() <= 4096);
}

TEST_CASE("conformance: AnyPolicy::Rebuild between every pair of kinds keeps the resident set") {
  for (PolicyKind from : kFixedKinds) {
    for (PolicyKind to : kFixedKinds) {
      CAPTURE(PolicyName(from));
      CAPTURE(PolicyName(to));
      AnyPolicy p(from);
      Items items(300);
      Driver<AnyPolicy> d(p, items, 120, 99);
      for (int i = 0; i < 4000; ++i) d.Step();
      p.Rebuild(to, items);
      CHECK(p.kind() == to);
      CHECK(std::string_view(p.name()) == PolicyName(to));
      CheckResidentSet(p, items, d.Resident());
      for (int i = 0; i < 4000; ++i) d.Step();  // and it keeps working as the new kind
      CheckResidentSet(p, items, d.Resident());
    }
  }
}

}  // namespace
}  // namespace kmd::cache::policy::testing
