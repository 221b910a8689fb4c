// W-TinyLFU (Einziger, Friedman & Manes, ACM ToS 2017, as Caffeine runs it): window LRU, main SLRU.
// Per item: 8 bytes of links, 2 meta bits (segment). Policy-owned: a count-min sketch of 4-bit
// counters, 2 bytes per resident item when sized (1-2 as size() grows; Caffeine: 8, made up here
// by conservative update). Departures from Caffeine: a fixed 1% window (no hill climbing: Adaptive
// tunes), no doorkeeper, size() for the capacity, no duel before the first eviction.
// Thread-safety: none; the Store calls it under the owning shard's lock.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/cache/policy/ref_list.h"
#include "core/cache/policy/xorshift.h"

namespace kmd::cache::policy {

// A count-min sketch of 4-bit counters, depth 4, laid out as Caffeine's FrequencySketch: a key's
// four counters lie in one 64-byte block of eight words (one cache line per increment), one
// counter in each pair of words; a block per 32 items. After 10 x n increments every counter is
// halved, so estimates follow recent popularity. Fit(n) rebuilds the table for n items (empty, as
// Caffeine's does) when n has doubled or shrunk 8-fold since the last build.
class FrequencySketch {
 public:
  void Fit(size_t n) {
    sample_ = n * 10;
    if (!table_.empty() && n <= sized_for_ * 2 && n * 8 >= sized_for_) return;
    sized_for_ = n;
    blocks_ = (n + kItemsPerBlock - 1) / kItemsPerBlock + 1;
    table_.assign(blocks_ * kBlockWords, 0);
    table_.shrink_to_fit();
    additions_ = 0;
  }
  // Conservative update: only the key's smallest counters go up (the others already over-count
  // it), which keeps estimates close with half the table Caffeine uses.
  void Increment(uint64_t hash) {
    if (table_.empty()) return;
    const uint64_t x = Spread(hash);
    uint64_t* block = &table_[BlockStart(x)];
    unsigned counter[4];
    unsigned least = 15;
    for (unsigned i = 0; i < 4; ++i) {
      counter[i] = static_cast<unsigned>(block[Word(x, i)] >> Shift(x, i)) & 15u;
      least = std::min(least, counter[i]);
    }
    if (least == 15) return;
    for (unsigned i = 0; i < 4; ++i) {
      if (counter[i] == least) block[Word(x, i)] += uint64_t{1} << Shift(x, i);
    }
    if (++additions_ >= sample_) Halve();
  }
  unsigned Estimate(uint64_t hash) const {
    if (table_.empty()) return 0;
    const uint64_t x = Spread(hash);
    const uint64_t* block = &table_[BlockStart(x)];
    unsigned est = 15;
    for (unsigned i = 0; i < 4; ++i) {
      est = std::min(est, static_cast<unsigned>(block[Word(x, i)] >> Shift(x, i)) & 15u);
    }
    return est;
  }
  size_t bytes() const { return table_.capacity() * sizeof(uint64_t); }

 private:
  static constexpr size_t kBlockWords = 8;
  static constexpr size_t kItemsPerBlock = 32;  // 2 bytes per item when sized

  // The Store picks shards by the hash's low bits: mix so every bit of it counts.
  static uint64_t Spread(uint64_t h) { return (h ^ (h >> 29)) * 0xBF58476D1CE4E5B9ULL; }
  // Multiply-shift maps the high 32 bits onto [0, blocks_) without a power-of-two size.
  size_t BlockStart(uint64_t x) const { return ((x >> 32) * blocks_ >> 32) * kBlockWords; }
  // Counter i (0..3) of a key: in word 2i or 2i+1 of its block, at one of 16 nibbles.
  static unsigned Word(uint64_t x, unsigned i) { return i * 2 + ((x >> (i * 8)) & 1); }
  static unsigned Shift(uint64_t x, unsigned i) { return ((x >> (i * 8 + 1)) & 15) * 4; }
  void Halve() {
    size_t odd = 0;
    for (uint64_t& w : table_) {
      odd += std::popcount(w & 0x1111111111111111ULL);
      w = (w >> 1) & 0x7777777777777777ULL;
    }
    additions_ = (additions_ - odd / 4) / 2;
  }

  std::vector<uint64_t> table_;
  size_t blocks_ = 0;
  size_t sized_for_ = 0;
  size_t additions_ = 0;
  size_t sample_ = 0;  // halve after this many increments: 10 x the latest item count
};

// New items enter the window (1% of size()); main is probation (20%) and protected (80%). When the
// window is over its share, Victim lets its tail (the candidate) duel main's victim (probation's
// tail, else protected's) by sketch estimate: a more frequent candidate is admitted to probation
// and the main victim goes, else the candidate goes. A probation hit promotes to protected, whose
// overflow falls back to probation's head. Every Insert and Hit counts the key in the sketch (the
// hash comes with the call: a hit costs one cache line of sketch and a list move).
class WTinyLfuPolicy {
 public:
  static constexpr const char* kName = "wtinylfu";
  enum Segment : uint8_t { kWindow = 0, kProbation = 1, kProtected = 2 };
  // Caffeine's guard against hash flooding: a candidate this popular that loses its duel is
  // still admitted once in 128 times, so an attacker cannot pin the victim by colliding with it.
  static constexpr unsigned kAdmitGuardFreq = 6;
  static constexpr uint8_t kDefaultShare = 1;

  // The window's share of size(), in percent (Adaptive tunes it, as Caffeine's hill climber
  // does; 1 by default).
  void SetShare(uint8_t pct) { window_pct_ = std::clamp<uint8_t>(pct, 1, 99); }
  uint8_t share() const { return window_pct_; }

  // An item carried over from another policy (Adaptive's rebuild): already resident, so it joins
  // main's probation segment. It is not counted in the sketch: a count without an access would let
  // stale residents win every duel until the sketch halves, shutting new keys out.
  template <class V>
  void Adopt(uint32_t ref, uint64_t /*hash*/, V& v) {
    sketch_.Fit(size() + 1);
    v.set_meta(ref, kProbation);
    probation_.PushHead(ref, v);
  }

  template <class V>
  void Insert(uint32_t ref, uint64_t hash, V& v) {
    sketch_.Fit(size() + 1);
    sketch_.Increment(hash);
    window_.PushHead(ref, v);  // meta 0 = kWindow
    // Filling (no eviction made room for this key): the window's excess moves to main at once.
    const bool filling = !evicted_;
    evicted_ = false;
    if (filling && window_.size() > WindowTarget()) {
      Move(window_.tail(), window_, probation_, kProbation, v);
    }
  }
  // After a rebuild's Adopts: the newest adoptees (the most valuable in the old order) fill
  // protected up to its share, as a warmed-up cache would hold them.
  template <class V>
  void Settle(V& v) {
    while (protected_.size() < ProtectedTarget() && !probation_.empty()) {
      const uint32_t r = probation_.head();
      probation_.Unlink(r, v);
      v.set_meta(r, kProtected);
      protected_.PushTail(r, v);
    }
  }
  template <class V>
  void Hit(uint32_t ref, uint64_t hash, V& v) {
    sketch_.Increment(hash);
    switch (v.meta(ref)) {
      case kWindow:
        window_.MoveToHead(ref, v);
        break;
      case kProbation:
        Move(ref, probation_, protected_, kProtected, v);
        if (protected_.size() > ProtectedTarget()) {
          Move(protected_.tail(), protected_, probation_, kProbation, v);
        }
        break;
      default:
        protected_.MoveToHead(ref, v);
    }
  }
  template <class V>
  void Remove(uint32_t ref, V& v) {
    SegmentOf(ref, v).Unlink(ref, v);
    sketch_.Fit(std::max<size_t>(size(), 1));
  }
  template <class V>
  void Evict(uint32_t ref, V& v) {
    evicted_ = true;
    SegmentOf(ref, v).Unlink(ref, v);
  }
  template <class V>
  uint32_t Victim(V& v) {
    // One window item duels per eviction. A window far over its share (the cache grew after
    // warm-up, or Adaptive narrowed the window) hands its excess to probation first, as
    // Caffeine's evictFromWindow does on every write; otherwise main would never refill and the
    // policy would degrade to LRU over the window.
    while (window_.size() > WindowTarget() + 1) {
      Move(window_.tail(), window_, probation_, kProbation, v);
    }
    const uint32_t candidate = window_.tail();
    const uint32_t victim = !probation_.empty() ? probation_.tail() : protected_.tail();
    if (candidate == kNoItem) return victim;
    if (victim == kNoItem) return candidate;
    if (window_.size() <= WindowTarget()) return victim;
    const unsigned cand_freq = sketch_.Estimate(v.hash(candidate));
    const unsigned victim_freq = sketch_.Estimate(v.hash(victim));
    if (cand_freq > victim_freq || (cand_freq >= kAdmitGuardFreq && (rng_.Next() & 127) == 0)) {
      Move(candidate, window_, probation_, kProbation, v);
      return victim;
    }
    return candidate;
  }
  // Probation (tail to head), then the window, then protected.
  template <class V>
  uint32_t First(V& /*v*/) const {
    return TailFrom(kProbation);
  }
  template <class V>
  uint32_t Next(uint32_t ref, V& v) const {
    const uint32_t n = RefList::Newer(ref, v);
    if (n != kNoItem) return n;
    switch (v.meta(ref)) {
      case kProbation:
        return TailFrom(kWindow);
      case kWindow:
        return TailFrom(kProtected);
      default:
        return kNoItem;
    }
  }
  size_t size() const { return window_.size() + probation_.size() + protected_.size(); }
  bool empty() const { return size() == 0; }
  size_t MetadataBytes() const { return sketch_.bytes(); }

 private:
  size_t WindowTarget() const { return std::max<size_t>(1, size() * window_pct_ / 100); }
  size_t ProtectedTarget() const { return (size() - WindowTarget()) * 4 / 5; }
  // The tail of the first non-empty segment from `s` on, in First's order.
  uint32_t TailFrom(Segment s) const {
    if (s == kProbation && !probation_.empty()) return probation_.tail();
    if (s != kProtected && !window_.empty()) return window_.tail();
    return protected_.tail();
  }
  template <class V>
  RefList& SegmentOf(uint32_t ref, V& v) {
    switch (v.meta(ref)) {
      case kWindow:
        return window_;
      case kProbation:
        return probation_;
      default:
        return protected_;
    }
  }
  template <class V>
  static void Move(uint32_t ref, RefList& from, RefList& to, Segment s, V& v) {
    from.Unlink(ref, v);
    v.set_meta(ref, s);
    to.PushHead(ref, v);
  }

  RefList window_;
  RefList probation_;
  RefList protected_;
  FrequencySketch sketch_;
  XorShift64 rng_;
  bool evicted_ = false;  // an eviction made room since the last Insert (else the cache is filling)
  uint8_t window_pct_ = kDefaultShare;
};

}  // namespace kmd::cache::policy
