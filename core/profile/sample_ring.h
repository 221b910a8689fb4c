// SampleRing<T>: a fixed-capacity ring of the last `capacity` values; pushing into a full ring
// overwrites the oldest. Storage is allocated once, at construction. Not thread-safe: the owner
// (MemoryMonitor) guards it. Invariant: size() <= capacity(); At(0) is the oldest held.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <vector>

namespace kmd::profile {

template <class T>
class SampleRing {
 public:
  explicit SampleRing(size_t capacity) : slots_(capacity) {
    if (capacity == 0) throw std::invalid_argument("SampleRing: capacity 0");
  }

  void Push(const T& value) {
    slots_[next_] = value;
    next_ = (next_ + 1) % slots_.size();
    if (size_ < slots_.size()) ++size_;
  }
  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }
  bool empty() const { return size_ == 0; }
  // i-th oldest held value, 0 <= i < size().
  const T& At(size_t i) const {
    return slots_[(next_ + slots_.size() - size_ + i) % slots_.size()];
  }
  const T& Newest() const { return At(size_ - 1); }
  // Oldest first.
  std::vector<T> ToVector() const {
    std::vector<T> out;
    out.reserve(size_);
    for (size_t i = 0; i < size_; ++i) out.push_back(At(i));
    return out;
  }

 private:
  std::vector<T> slots_;
  size_t next_ = 0;  // slot the next Push writes
  size_t size_ = 0;
};

}  // namespace kmd::profile
