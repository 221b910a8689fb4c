// kmd-load histogram: bucket geometry is contiguous and monotone, every recorded value is reported
// within 1% (the bound), quantiles of known distributions, and merging equals recording.
#include "bench/load/histogram.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>

#include "bench/load/sampler.h"

namespace kmd::bench {
namespace {

TEST_CASE("bucket edges tile the range without gaps and stay within 1%") {
  for (size_t i = 0; i + 1 < Histogram::kBuckets; ++i) {
    REQUIRE(Histogram::HighestEquivalent(i) + 1 == Histogram::LowestEquivalent(i + 1));
    REQUIRE(Histogram::Index(Histogram::LowestEquivalent(i)) == i);
    REQUIRE(Histogram::Index(Histogram::HighestEquivalent(i)) == i);
    uint64_t lo = Histogram::LowestEquivalent(i), hi = Histogram::HighestEquivalent(i);
    if (lo > 0) REQUIRE(static_cast<double>(hi - lo) / static_cast<double>(lo) < 0.01);
  }
  CHECK(Histogram::Index(Histogram::kMaxValue) == Histogram::kBuckets - 1);
}

TEST_CASE("a single value is reported within 1% at every quantile") {
  Rng rng(7);
  for (int i = 0; i < 2000; ++i) {
    uint64_t v = rng.Below(uint64_t{1} << (1 + rng.Below(40)));
    Histogram h;
    h.Record(v);
    for (double q : {0.0, 0.5, 0.99, 1.0}) {
      uint64_t got = h.ValueAtQuantile(q);
      REQUIRE(std::abs(static_cast<double>(got) - static_cast<double>(v)) <=
              0.01 * static_cast<double>(v) + 0.5);
    }
    REQUIRE(h.max() == v);
  }
}

TEST_CASE("quantiles of a uniform 1..100000 sequence") {
  Histogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.Record(v);
  CHECK(h.count() == 100000);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    double want = q * 100000;
    CHECK(std::abs(static_cast<double>(h.ValueAtQuantile(q)) - want) <= 0.01 * want);
  }
  CHECK(h.ValueAtQuantile(1.0) == 100000);
  CHECK(h.min() == 1);
  CHECK(h.mean() == doctest::Approx(50000.5));
}

TEST_CASE("merging per-thread histograms equals recording into one") {
  Histogram a, b, all;
  Rng rng(3);
  for (int i = 0; i < 50000; ++i) {
    uint64_t v = 1000 + rng.Below(5'000'000);
    (i % 3 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.max() == all.max());
  CHECK(a.min() == all.min());
  for (int i = 1; i <= 1000; ++i)
    REQUIRE(a.ValueAtQuantile(i / 1000.0) == all.ValueAtQuantile(i / 1000.0));
}

TEST_CASE("values past the range are clamped, not lost; reset empties") {
  Histogram h;
  h.Record(UINT64_MAX);
  CHECK(h.count() == 1);
  CHECK(h.max() == Histogram::kMaxValue);
  h.Reset();
  CHECK(h.count() == 0);
  CHECK(h.ValueAtQuantile(0.5) == 0);
  CHECK(h.max() == 0);
}

}  // namespace
}  // namespace kmd::bench
