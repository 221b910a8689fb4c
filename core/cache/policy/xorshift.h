// XorShift64 (Marsaglia): the policies' pseudo-random source (LFU's probabilistic counter,
// W-TinyLFU's guard against hash flooding). A fixed seed, so a trace replays identically and a
// test's victim order is deterministic. Thread-safety: none (one per policy object).
// Invariant: the state is never 0 (xorshift's only fixed point).
#pragma once

#include <cstdint>

namespace kmd::cache::policy {

class XorShift64 {
 public:
  uint64_t Next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return s_;
  }
  // True with probability 2^-k (k < 64).
  bool OneIn2Pow(unsigned k) { return k == 0 || (Next() >> (64 - k)) == 0; }

 private:
  uint64_t s_ = 0x9E3779B97F4A7C15ULL;
};

}  // namespace kmd::cache::policy
