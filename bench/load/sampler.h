// Random sources for kmd-load: a small fast PRNG, key-index samplers (uniform, sequential,
// Gaussian around the key-space middle, exact Zipf by rejection-inversion) and value-size samplers
// (fixed, uniform range, weighted list). Each connection owns its own instances: nothing here is
// thread-safe and nothing allocates after construction. Invariant: every sample is in [0, n).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace kmd::bench {

// xoshiro256** seeded through splitmix64: fast, good enough for load generation, reproducible.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  uint64_t Below(uint64_t n);  // uniform in [0, n), n > 0, without modulo bias
  double NextGaussian();       // standard normal (Box-Muller; second value kept)

 private:
  uint64_t s_[4];
  bool have_spare_ = false;
  double spare_ = 0;
};

// Zipf over ranks 1..n with P(k) ∝ k^-s, s > 0, sampled exactly by rejection-inversion
// (Hörmann & Derflinger 1996, as in Apache Commons RNG): O(1) time and memory per sample.
class ZipfSampler {
 public:
  ZipfSampler(uint64_t n, double exponent);
  uint64_t Sample(Rng& rng) const;  // a rank in [1, n]

 private:
  double H(double x) const;
  double HIntegral(double x) const;
  double HIntegralInverse(double x) const;

  uint64_t n_;
  double exponent_;
  double h_integral_x1_;
  double h_integral_n_;
  double s_;
};

enum class KeyPattern { kUniform, kSequential, kGaussian, kZipf };

class KeySampler {
 public:
  // `start` offsets the sequential walk so that connections cover different parts of the space.
  KeySampler(KeyPattern pattern, uint64_t key_space, double zipf_exponent, uint64_t start);
  uint64_t Next(Rng& rng);  // a key index in [0, key_space)

 private:
  KeyPattern pattern_;
  uint64_t n_;
  uint64_t next_seq_;
  double mean_;
  double stddev_;
  ZipfSampler zipf_;
};

// Value sizes: a fixed size, a uniform range [lo, hi], or a weighted list of sizes.
class ValueSizeSampler {
 public:
  static ValueSizeSampler Fixed(uint32_t size);
  static ValueSizeSampler Range(uint32_t lo, uint32_t hi);
  // weights need not sum to 1; they are normalised. Sizes and weights must be non-empty, > 0.
  static ValueSizeSampler List(std::vector<std::pair<uint32_t, double>> sizes);

  uint32_t Next(Rng& rng) const;
  uint32_t max_size() const { return max_; }

 private:
  enum class Kind { kFixed, kRange, kList };
  Kind kind_ = Kind::kFixed;
  uint32_t lo_ = 0;
  uint32_t max_ = 0;
  std::vector<uint32_t> sizes_;
  std::vector<double> cumulative_;  // ascending, last element 1.0
};

}  // namespace kmd::bench
