// Histogram: an HDR-style log-linear latency histogram in nanoseconds (kmd-load's own, no library).
// Values below 2^kSubBits are exact; above, each power-of-two range is split into 2^(kSubBits-1)
// equal buckets, so a reported value is within 1/128 (< 1%) of the recorded one.
// Not thread-safe: each worker thread owns one and the main thread merges them after the run.
// Invariant: count_ == sum of counts_; values above kMaxValue are clamped to it (and counted).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <vector>

namespace kmd::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 8;
  static constexpr uint64_t kSubCount = uint64_t{1} << kSubBits;  // exact region: [0, 256)
  static constexpr uint64_t kHalf = kSubCount / 2;
  static constexpr int kMaxBits = 44;  // ~4.9 hours in ns: nothing we measure is longer
  static constexpr uint64_t kMaxValue = (uint64_t{1} << kMaxBits) - 1;
  static constexpr size_t kBuckets = kSubCount + (kMaxBits - kSubBits) * kHalf;

  Histogram() : counts_(kBuckets, 0) {}

  void Record(uint64_t value) {
    value = std::min(value, kMaxValue);
    ++counts_[Index(value)];
    ++count_;
    sum_ += value;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }

  void Merge(const Histogram& other) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }

  void Reset() {
    std::fill(counts_.begin(), counts_.end(), 0);
    count_ = sum_ = max_ = 0;
    min_ = UINT64_MAX;
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return count_ ? max_ : 0; }
  uint64_t min() const { return count_ ? min_ : 0; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }

  // The value at quantile q in [0, 1]: the highest value equivalent to the bucket holding the
  // ceil(q * count)-th smallest sample (HdrHistogram's convention), capped by the exact max so
  // that p100 is the true maximum and never a bucket edge above it.
  uint64_t ValueAtQuantile(double q) const {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_) + 0.5);
    rank = std::clamp<uint64_t>(rank, 1, count_);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::clamp(HighestEquivalent(i), min(), max());
    }
    return max_;
  }

  // Bucket geometry, public for tests.
  static size_t Index(uint64_t v) {
    if (v < kSubCount) return static_cast<size_t>(v);
    int msb = 63 - std::countl_zero(v);
    int shift = msb - (kSubBits - 1);  // v >> shift lands in [kHalf, kSubCount)
    return static_cast<size_t>(kSubCount + (shift - 1) * kHalf + ((v >> shift) - kHalf));
  }
  static uint64_t LowestEquivalent(size_t index) {
    if (index < kSubCount) return index;
    uint64_t shift = (index - kSubCount) / kHalf + 1;
    uint64_t mantissa = (index - kSubCount) % kHalf + kHalf;
    return mantissa << shift;
  }
  static uint64_t HighestEquivalent(size_t index) {
    if (index < kSubCount) return index;
    uint64_t shift = (index - kSubCount) / kHalf + 1;
    return LowestEquivalent(index) + (uint64_t{1} << shift) - 1;
  }

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace kmd::bench
