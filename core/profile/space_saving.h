// SpaceSaving: the top-K heavy hitters of a weighted stream in K counters (Metwally, Agrawal,
// El Abbadi 2005). A key not held replaces the smallest counter and inherits its count as its
// error bound, so every key whose true weight exceeds total/K is held, and count - error <= true
// weight <= count. Keys longer than kMaxKey are cut (they share a counter). Not thread-safe:
// the owner (ItemProfile) locks.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kmd::profile {

struct HeavyHitter {
  std::string key;
  uint64_t count = 0;  // an upper bound of the key's weight
  uint64_t error = 0;  // count - error is a lower bound
};

class SpaceSaving {
 public:
  static constexpr size_t kMaxKey = 64;
  explicit SpaceSaving(size_t capacity) : capacity_(capacity) { held_.reserve(capacity); }

  void Add(std::string_view key, uint64_t weight) {
    key = key.substr(0, kMaxKey);
    total_ += weight;
    for (HeavyHitter& h : held_) {
      if (h.key == key) {
        h.count += weight;
        return;
      }
    }
    if (held_.size() < capacity_) {
      held_.push_back({std::string(key), weight, 0});
      return;
    }
    HeavyHitter& least = *std::min_element(
        held_.begin(), held_.end(),
        [](const HeavyHitter& a, const HeavyHitter& b) { return a.count < b.count; });
    least.key.assign(key);
    least.error = least.count;
    least.count += weight;
  }

  // Held keys, heaviest first.
  std::vector<HeavyHitter> Top() const {
    std::vector<HeavyHitter> out = held_;
    std::sort(out.begin(), out.end(),
              [](const HeavyHitter& a, const HeavyHitter& b) { return a.count > b.count; });
    return out;
  }
  uint64_t total() const { return total_; }
  size_t capacity() const { return capacity_; }

 private:
  size_t capacity_;
  uint64_t total_ = 0;
  std::vector<HeavyHitter> held_;
};

}  // namespace kmd::profile
