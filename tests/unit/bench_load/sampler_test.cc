// kmd-load samplers: the Zipf sampler matches the exact Zipf probabilities (several exponents,
// including 1 where the integral turns into a log), Gaussian keys stay in bounds and centre on the
// key-space middle, value-size lists honour their weights, and seeds reproduce sequences.
#include "bench/load/sampler.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace kmd::bench {
namespace {

// Chi-square statistic of observed counts against Zipf(n, s) expected counts.
double ZipfChiSquare(uint64_t n, double s, int samples, uint64_t seed) {
  ZipfSampler z(n, s);
  Rng rng(seed);
  std::vector<double> counts(n + 1, 0);
  for (int i = 0; i < samples; ++i) {
    uint64_t k = z.Sample(rng);
    REQUIRE(k >= 1);
    REQUIRE(k <= n);
    ++counts[k];
  }
  double norm = 0;
  for (uint64_t k = 1; k <= n; ++k) norm += std::pow(static_cast<double>(k), -s);
  double chi = 0;
  for (uint64_t k = 1; k <= n; ++k) {
    double want = samples * std::pow(static_cast<double>(k), -s) / norm;
    chi += (counts[k] - want) * (counts[k] - want) / want;
  }
  return chi;
}

TEST_CASE("zipf matches the exact distribution (chi-square, 99 degrees of freedom)") {
  // The 99.9th percentile of chi-square with 99 d.f. is ~149: a correct sampler passes with
  // near certainty, a biased one (e.g. off by a few % at the head) fails by thousands.
  for (double s : {0.5, 0.99, 1.0, 1.2, 2.0}) {
    CAPTURE(s);
    CHECK(ZipfChiSquare(100, s, 400000, 11) < 149);
  }
}

TEST_CASE("zipf 0.99 over a large key space: head share as computed") {
  const uint64_t n = 100000;
  ZipfSampler z(n, 0.99);
  Rng rng(5);
  const int samples = 1000000;
  int top = 0;
  for (int i = 0; i < samples; ++i) top += z.Sample(rng) <= 100;
  double norm = 0, head = 0;
  for (uint64_t k = 1; k <= n; ++k) {
    double p = std::pow(static_cast<double>(k), -0.99);
    norm += p;
    if (k <= 100) head += p;
  }
  CHECK(top / static_cast<double>(samples) == doctest::Approx(head / norm).epsilon(0.01));
}

TEST_CASE("zipf key sampler maps rank 1 to key 0 and stays in range") {
  KeySampler ks(KeyPattern::kZipf, 1000, 0.99, 0);
  Rng rng(1);
  std::vector<int> counts(1000, 0);
  for (int i = 0; i < 200000; ++i) {
    uint64_t k = ks.Next(rng);
    REQUIRE(k < 1000);
    ++counts[k];
  }
  CHECK(counts[0] > counts[1]);
  CHECK(counts[1] > counts[10]);
  CHECK(counts[10] > counts[999]);
}

TEST_CASE("gaussian keys stay in bounds and centre on the middle") {
  for (uint64_t n : {1ull, 2ull, 7ull, 1000ull, 1000000ull}) {
    CAPTURE(n);
    KeySampler ks(KeyPattern::kGaussian, n, 0, 0);
    Rng rng(9);
    double sum = 0, sq = 0;
    const int samples = 200000;
    for (int i = 0; i < samples; ++i) {
      uint64_t k = ks.Next(rng);
      REQUIRE(k < n);
      sum += k;
      sq += static_cast<double>(k) * k;
    }
    if (n >= 1000) {
      double mean = sum / samples;
      double sd = std::sqrt(sq / samples - mean * mean);
      CHECK(mean == doctest::Approx(n / 2.0).epsilon(0.01));
      // n/6 truncated at +-3 sd: 0.9866 of the untruncated sd.
      CHECK(sd == doctest::Approx(0.9866 * n / 6.0).epsilon(0.02));
    }
  }
}

TEST_CASE("uniform keys cover the space evenly; sequential keys walk and wrap") {
  KeySampler u(KeyPattern::kUniform, 10, 0, 0);
  Rng rng(2);
  std::vector<int> counts(10, 0);
  for (int i = 0; i < 100000; ++i) ++counts[u.Next(rng)];
  for (int c : counts) CHECK(c == doctest::Approx(10000).epsilon(0.05));

  KeySampler seq(KeyPattern::kSequential, 5, 0, 3);
  std::vector<uint64_t> got;
  for (int i = 0; i < 7; ++i) got.push_back(seq.Next(rng));
  CHECK(got == std::vector<uint64_t>{3, 4, 0, 1, 2, 3, 4});
}

TEST_CASE("value-size list honours its weights") {
  auto vs = ValueSizeSampler::List({{100, 0.6}, {1000, 0.3}, {5000, 0.1}});
  CHECK(vs.max_size() == 5000);
  Rng rng(4);
  int c100 = 0, c1000 = 0, c5000 = 0;
  const int samples = 300000;
  for (int i = 0; i < samples; ++i) {
    uint32_t s = vs.Next(rng);
    if (s == 100)
      ++c100;
    else if (s == 1000)
      ++c1000;
    else if (s == 5000)
      ++c5000;
    else
      FAIL("unexpected size " << s);
  }
  CHECK(c100 / double(samples) == doctest::Approx(0.6).epsilon(0.01));
  CHECK(c1000 / double(samples) == doctest::Approx(0.3).epsilon(0.02));
  CHECK(c5000 / double(samples) == doctest::Approx(0.1).epsilon(0.03));
}

TEST_CASE("unnormalised weights, ranges and fixed sizes") {
  auto vs = ValueSizeSampler::List({{10, 3}, {20, 1}});
  Rng rng(8);
  int c10 = 0;
  for (int i = 0; i < 100000; ++i) c10 += vs.Next(rng) == 10;
  CHECK(c10 / 100000.0 == doctest::Approx(0.75).epsilon(0.02));

  auto range = ValueSizeSampler::Range(50, 5000);
  uint32_t lo = UINT32_MAX, hi = 0;
  for (int i = 0; i < 100000; ++i) {
    uint32_t s = range.Next(rng);
    lo = std::min(lo, s);
    hi = std::max(hi, s);
  }
  CHECK(lo == 50);
  CHECK(hi == 5000);
  CHECK(ValueSizeSampler::Fixed(100).Next(rng) == 100);
}

TEST_CASE("the same seed reproduces the same sequence") {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.Next();
    REQUIRE(x == b.Next());
    differs |= x != c.Next();
  }
  CHECK(differs);
}

}  // namespace
}  // namespace kmd::bench
