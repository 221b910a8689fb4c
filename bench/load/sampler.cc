// Samplers for kmd-load (see sampler.h). Pure computation; no shared state.
#include "bench/load/sampler.h"

#include <algorithm>
#include <cmath>

namespace kmd::bench {
namespace {

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// log1p(x)/x and expm1(x)/x, with Taylor series near 0 where the quotient loses precision;
// they make the Zipf integral continuous through exponent 1 (where it becomes log).
double Helper1(double x) {
  return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}
double Helper2(double x) {
  return std::abs(x) > 1e-8 ? std::expm1(x) / x
                            : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x));
}

}  // namespace

Rng::Rng(uint64_t seed) {
  for (auto& s : s_) s = SplitMix64(seed);
}

uint64_t Rng::Next() {
  uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t Rng::Below(uint64_t n) {
  // Lemire's multiply-shift with rejection: unbiased and nearly always one multiplication.
  unsigned __int128 m = static_cast<unsigned __int128>(Next()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    uint64_t threshold = -n % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(Next()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

double Rng::NextGaussian() {
  if (have_spare_) {
    have_spare_ = false;
    return spare_;
  }
  double u1 = 1.0 - NextDouble();  // (0, 1]: log stays finite
  double u2 = NextDouble();
  double r = std::sqrt(-2.0 * std::log(u1));
  spare_ = r * std::sin(2 * M_PI * u2);
  have_spare_ = true;
  return r * std::cos(2 * M_PI * u2);
}

ZipfSampler::ZipfSampler(uint64_t n, double exponent) : n_(n), exponent_(exponent) {
  h_integral_x1_ = HIntegral(1.5) - 1.0;
  h_integral_n_ = HIntegral(static_cast<double>(n_) + 0.5);
  s_ = 2.0 - HIntegralInverse(HIntegral(2.5) - H(2.0));
}

double ZipfSampler::H(double x) const { return std::exp(-exponent_ * std::log(x)); }

double ZipfSampler::HIntegral(double x) const {
  double log_x = std::log(x);
  return Helper2((1.0 - exponent_) * log_x) * log_x;
}

double ZipfSampler::HIntegralInverse(double x) const {
  double t = x * (1.0 - exponent_);
  if (t < -1.0) t = -1.0;  // rounding guard: the true value is never below -1
  return std::exp(Helper1(t) * x);
}

uint64_t ZipfSampler::Sample(Rng& rng) const {
  for (;;) {
    double u = h_integral_n_ + rng.NextDouble() * (h_integral_x1_ - h_integral_n_);
    double x = HIntegralInverse(u);
    double kd = std::floor(x + 0.5);
    if (kd < 1) kd = 1;
    if (kd > static_cast<double>(n_)) kd = static_cast<double>(n_);
    if (kd - x <= s_ || u >= HIntegral(kd + 0.5) - H(kd)) return static_cast<uint64_t>(kd);
  }
}

KeySampler::KeySampler(KeyPattern pattern, uint64_t key_space, double zipf_exponent, uint64_t start)
    : pattern_(pattern),
      n_(key_space),
      next_seq_(start % key_space),
      mean_(static_cast<double>(key_space) / 2.0),
      // memtier's default: six standard deviations span the key space.
      stddev_(static_cast<double>(key_space) / 6.0),
      zipf_(key_space, zipf_exponent > 0 ? zipf_exponent : 1.0) {}

uint64_t KeySampler::Next(Rng& rng) {
  switch (pattern_) {
    case KeyPattern::kUniform:
      return rng.Below(n_);
    case KeyPattern::kSequential: {
      uint64_t k = next_seq_;
      next_seq_ = next_seq_ + 1 == n_ ? 0 : next_seq_ + 1;
      return k;
    }
    case KeyPattern::kGaussian:
      for (;;) {  // resample outside the space rather than clamp: clamping piles mass on the ends
        double x = std::floor(mean_ + stddev_ * rng.NextGaussian());
        if (x >= 0 && x < static_cast<double>(n_)) return static_cast<uint64_t>(x);
      }
    case KeyPattern::kZipf:
      return zipf_.Sample(rng) - 1;  // rank 1 (hottest) is key 0
  }
  return 0;
}

ValueSizeSampler ValueSizeSampler::Fixed(uint32_t size) {
  ValueSizeSampler s;
  s.kind_ = Kind::kFixed;
  s.lo_ = s.max_ = size;
  return s;
}

ValueSizeSampler ValueSizeSampler::Range(uint32_t lo, uint32_t hi) {
  ValueSizeSampler s;
  s.kind_ = Kind::kRange;
  s.lo_ = lo;
  s.max_ = hi;
  return s;
}

ValueSizeSampler ValueSizeSampler::List(std::vector<std::pair<uint32_t, double>> sizes) {
  ValueSizeSampler s;
  s.kind_ = Kind::kList;
  double total = 0;
  for (auto& [size, weight] : sizes) total += weight;
  double acc = 0;
  for (auto& [size, weight] : sizes) {
    acc += weight / total;
    s.sizes_.push_back(size);
    s.cumulative_.push_back(acc);
    s.max_ = std::max(s.max_, size);
  }
  if (!s.cumulative_.empty()) s.cumulative_.back() = 1.0;  // no gap from rounding
  return s;
}

uint32_t ValueSizeSampler::Next(Rng& rng) const {
  switch (kind_) {
    case Kind::kFixed:
      return lo_;
    case Kind::kRange:
      return lo_ + static_cast<uint32_t>(rng.Below(uint64_t{max_} - lo_ + 1));
    case Kind::kList: {
      double u = rng.NextDouble();
      size_t i = std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin();
      return sizes_[std::min(i, sizes_.size() - 1)];
    }
  }
  return lo_;
}

}  // namespace kmd::bench
