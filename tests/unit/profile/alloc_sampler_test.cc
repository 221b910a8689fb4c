// The allocation sampler's tables: a recorded pointer adds its weight to its site and the
// matching free takes it off again (through the pointer filter), sites are told apart by their
// stacks, the tables stay bounded, and the byte-interval sampling estimates what was allocated.
// The interposer is linked into the daemon only; here the hooks are driven as it drives them.
#include "core/profile/alloc_sampler.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/base/alloc_sample_hook.h"
#include "core/profile/symbolize.h"

namespace kmd::profile {
namespace {

void* Pc(uintptr_t n) { return reinterpret_cast<void*>(n); }

TEST_CASE("a recorded pointer counts at its site until its free; sites differ by stack") {
  AllocSampler sampler(false);
  const std::vector<void*> site_a = {Pc(0x1000), Pc(0x2000)};
  const std::vector<void*> site_b = {Pc(0x1000), Pc(0x3000)};
  int blocks[4];
  sampler.Record(&blocks[0], 512 * 1024, site_a);
  sampler.Record(&blocks[1], 100, site_a);
  sampler.Record(&blocks[2], 7000, site_b);
  CHECK(base::g_sampled_pointers.MayContain(&blocks[0]));
  std::vector<SiteFigures> sites = sampler.Sites();
  REQUIRE(sites.size() == 2);
  CHECK(sites[0].frames == site_a);
  CHECK(sites[0].live_bytes == 512 * 1024 + 100);
  CHECK(sites[0].live_samples == 2);
  CHECK(sites[1].live_bytes == 7000);
  CHECK(sampler.Forget(&blocks[0]));
  CHECK_FALSE(sampler.Forget(&blocks[0]));  // already gone
  CHECK_FALSE(sampler.Forget(&blocks[3]));  // never sampled
  sites = sampler.Sites();
  CHECK(sites[0].live_bytes == 100);
  CHECK(sites[0].total_bytes == 512 * 1024 + 100);
  CHECK(sampler.LiveBytesBySite() == std::vector<uint64_t>{100, 7000});
  const SamplerTotals t = sampler.Totals();
  CHECK(t.samples == 3);
  CHECK(t.frees == 1);
  CHECK(t.live == 2);
}

TEST_CASE("the pointer table survives heavy churn and stays bounded") {
  AllocSampler sampler(false);
  const std::vector<void*> stack = {Pc(0x42)};
  std::vector<char> arena(AllocSampler::kPointerSlots * 16);
  std::mt19937 rng(5);
  std::vector<size_t> live;
  // Random inserts and deletes over many colliding addresses: every delete finds its record.
  for (int round = 0; round < 200000; ++round) {
    if (live.empty() || (rng() % 3 != 0 && live.size() < 5000)) {
      const size_t i = rng() % (arena.size() / 16);
      if (std::find(live.begin(), live.end(), i) != live.end()) continue;
      sampler.Record(&arena[i * 16], 16, stack);
      live.push_back(i);
    } else {
      const size_t k = rng() % live.size();
      REQUIRE(sampler.Forget(&arena[live[k] * 16]));
      live[k] = live.back();
      live.pop_back();
    }
  }
  CHECK(sampler.Totals().live == live.size());
  CHECK(sampler.Sites()[0].live_bytes == 16 * live.size());
  for (size_t i : live) REQUIRE(sampler.Forget(&arena[i * 16]));
  CHECK(sampler.Sites()[0].live_bytes == 0);
  // Beyond half the slots, samples are dropped rather than the table overfilled.
  for (size_t i = 0; i < AllocSampler::kPointerSlots; ++i) sampler.Record(&arena[i * 16], 1, stack);
  CHECK(sampler.Totals().live == AllocSampler::kPointerSlots / 2);
  CHECK(sampler.Totals().dropped == AllocSampler::kPointerSlots / 2);
}

TEST_CASE("the site table is bounded: new stacks beyond kMaxSites are dropped") {
  AllocSampler sampler(false);
  static char blocks[AllocSampler::kMaxSites + 10];
  for (size_t i = 0; i < AllocSampler::kMaxSites + 10; ++i) {
    const std::vector<void*> stack = {Pc(0x10000 + i)};
    sampler.Record(&blocks[i], 1, stack);
  }
  CHECK(sampler.Sites().size() == AllocSampler::kMaxSites);
  CHECK(sampler.Totals().dropped == 10);
}

TEST_CASE("the pointer filter: never-added pointers pass, added ones are caught until removed") {
  base::SampledPointerFilter& filter = base::g_sampled_pointers;
  std::vector<long> values(1000);
  size_t false_positives = 0;
  for (long& v : values) false_positives += filter.MayContain(&v);
  CHECK(false_positives < 50);  // other tests' records may share a slot or two
  filter.Add(&values[3]);
  filter.Add(&values[3]);
  CHECK(filter.MayContain(&values[3]));
  filter.Remove(&values[3]);
  CHECK(filter.MayContain(&values[3]));
  filter.Remove(&values[3]);
}

// Drives the hooks as server/alloc_hooks.cc does: exponential byte intervals of mean M, weight
// size / (1 - exp(-size / M)). The weighted sum of samples estimates the bytes allocated.
TEST_CASE("Poisson byte sampling with unbiased weights estimates what was allocated") {
  AllocSampler sampler(false);
  const std::vector<void*> stack = {Pc(0x77)};
  const double mean = 64 * 1024;
  std::mt19937_64 rng(11);
  std::exponential_distribution<double> interval(1 / mean);
  std::uniform_int_distribution<size_t> size(16, 4096);
  static char sink[1 << 20];
  double left = interval(rng);
  uint64_t allocated = 0;
  size_t samples = 0;
  for (int i = 0; i < 200000; ++i) {
    const size_t n = size(rng);
    allocated += n;
    left -= static_cast<double>(n);
    if (left > 0) continue;
    left = interval(rng);
    const double weight = static_cast<double>(n) / -std::expm1(-static_cast<double>(n) / mean);
    sampler.Record(&sink[samples++ % sizeof(sink)], static_cast<uint64_t>(weight), stack);
  }
  // ~6000 samples for 400 MB: the estimate is within a few percent; the rate is one per `mean`.
  CHECK(static_cast<double>(samples) == doctest::Approx(allocated / mean).epsilon(0.05));
  CHECK(static_cast<double>(sampler.Sites()[0].total_bytes) ==
        doctest::Approx(static_cast<double>(allocated)).epsilon(0.05));
}

TEST_CASE("frame names: template arguments and parameters dropped, operators kept") {
  CHECK(ShortFrame("kmd::dispatch::LeakSiteA(unsigned long)") == "kmd::dispatch::LeakSiteA");
  CHECK(ShortFrame("ns::Conn<asio::tcp, std::vector<int> >::Read()::{lambda(int)#1}::operator()"
                   "(int) const") == "ns::Conn<>::Read::{lambda#1}::operator() const");
  CHECK(ShortFrame("std::ostream::operator<<(int)") == "std::ostream::operator<<");
  CHECK(CollapsedFrame("a;b\nc") == "a:b?c");
  CHECK(SiteFrame({"operator new", "std::vector<>::_M_realloc_insert<>", "kmd::Fill"}) == 2);
  CHECK(SiteFrame({"operator new", "std::x"}) == 0);
}

}  // namespace
}  // namespace kmd::profile
