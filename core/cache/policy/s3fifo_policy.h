// S3-FIFO (Yang et al., SOSP'23) as libCacheSim's S3FIFO.c: small FIFO, main 2-bit CLOCK, ghost.
// Per item: 8 bytes of links, 3 meta bits (2-bit frequency, queue). Policy-owned: the ghost, two
// Bloom filters, 1.8 bytes per resident item when sized (0.9-1.8 as size() grows), ~2% false hits.
// Departures: the ghost is approximate (a false positive admits a new key to main; a ghost hit
// is not forgotten) and restarts empty when size() doubles or shrinks 8-fold; size() stands in
// for the capacity. Thread-safety: none; the Store calls it under the owning shard's lock.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/cache/policy/ref_list.h"

namespace kmd::cache::policy {

// Remembers about the last `n` keys added: two Bloom filters, the current one taking adds until it
// holds 2n/3 keys, then the older one is cleared and becomes current (so a key is remembered for
// 2n/3 to 4n/3 adds, n on average, as an exact FIFO of n would). Each key sets 4 bits in one
// 64-bit word (one cache line per add or lookup); 12 bits per key.
class GhostFilter {
 public:
  bool Contains(uint64_t hash) const {
    if (words_ == 0) return false;
    const uint64_t x = Spread(hash);
    const uint64_t m = Bits(x);
    const size_t w = Word(x);
    return (bits_[w] & m) == m || (bits_[words_ + w] & m) == m;
  }
  // Adds a key, keeping about the last `n` (the filters are rebuilt, empty, when n has doubled or
  // shrunk 8-fold since they were sized).
  void Add(uint64_t hash, size_t n) {
    Fit(n);
    if (adds_ >= n * 2 / 3 + 1) {
      current_ ^= 1;
      std::fill_n(bits_.begin() + current_ * words_, words_, 0);
      adds_ = 0;
    }
    const uint64_t x = Spread(hash);
    bits_[current_ * words_ + Word(x)] |= Bits(x);
    ++adds_;
  }
  // Releases memory the filters no longer need after the cache shrank (no-op otherwise).
  void Shrink(size_t n) {
    if (n * 8 < sized_for_) Fit(n);
  }
  size_t bytes() const { return bits_.capacity() * sizeof(uint64_t); }

 private:
  static constexpr size_t kBitsPerKey = 12;

  void Fit(size_t n) {
    if (words_ != 0 && n <= sized_for_ * 2 && n * 8 >= sized_for_) return;
    sized_for_ = n;
    words_ = (n * 2 / 3 + 1) * kBitsPerKey / 64 + 1;
    bits_.assign(words_ * 2, 0);
    bits_.shrink_to_fit();
    adds_ = 0;
  }
  // The Store picks shards by the hash's low bits: mix so every bit of it counts.
  static uint64_t Spread(uint64_t h) { return (h ^ (h >> 29)) * 0x9E3779B97F4A7C15ULL; }
  // Multiply-shift maps the high 32 bits onto [0, words_) without a power-of-two size.
  size_t Word(uint64_t x) const { return (x >> 32) * words_ >> 32; }
  static uint64_t Bits(uint64_t x) {
    return (1ULL << (x & 63)) | (1ULL << ((x >> 6) & 63)) | (1ULL << ((x >> 12) & 63)) |
           (1ULL << ((x >> 18) & 63));
  }

  std::vector<uint64_t> bits_;  // two filters of words_ words each
  size_t words_ = 0;
  size_t sized_for_ = 0;
  size_t adds_ = 0;  // keys added to the current filter
  unsigned current_ = 0;
};

// New keys enter small, or main if the ghost remembers them; a hit raises the frequency (max 3).
// Victim takes from small while small holds >= 10% of size() (else from main): small's tail moves
// to main with frequency 0 if it was hit at least twice (libCacheSim's move-to-main-threshold=2),
// else it is the victim and Evict puts its key in the ghost. Main's tail is the victim if its
// frequency is 0, else it goes back to main's head with frequency - 1. Until the first eviction,
// keys enter main once small holds 10% (libCacheSim's warm-up rule). The ghost remembers about
// as many keys as main holds (libCacheSim: 0.9 x capacity).
class S3FifoPolicy {
 public:
  static constexpr const char* kName = "s3fifo";
  static constexpr uint8_t kFreqMask = 3;
  static constexpr uint8_t kMain = 4;  // meta bit: the item is in main (else in small)
  static constexpr uint8_t kMoveToMain = 2;
  static constexpr uint8_t kDefaultShare = 10;

  // The small queue's share of size(), in percent (Adaptive tunes it; the paper's 10 by default).
  void SetShare(uint8_t pct) { small_pct_ = std::clamp<uint8_t>(pct, 1, 90); }
  uint8_t share() const { return small_pct_; }

  // An item carried over from another policy (Adaptive's rebuild): already resident, so it joins
  // main rather than passing the small queue's probation again.
  template <class V>
  void Adopt(uint32_t ref, uint64_t /*hash*/, V& v) {
    v.set_meta(ref, kMain);
    main_.PushHead(ref, v);
  }

  template <class V>
  void Insert(uint32_t ref, uint64_t hash, V& v) {
    // Filling (no eviction made room for this key): main takes what small has no share for, as
    // libCacheSim's warm-up does; otherwise a cache that grows (a class gaining pages, Adaptive's
    // shadows) would keep nearly everything in small and run as a FIFO.
    const bool filling = !evicted_;
    evicted_ = false;
    const bool to_main =
        ghost_.Contains(hash) || (filling && small_.size() >= SmallTarget(size() + 1));
    v.set_meta(ref, to_main ? kMain : 0);
    (to_main ? main_ : small_).PushHead(ref, v);
  }
  template <class V>
  void Hit(uint32_t ref, uint64_t /*hash*/, V& v) {
    const uint8_t m = v.meta(ref);
    if ((m & kFreqMask) != kFreqMask) v.set_meta(ref, m + 1);
  }
  template <class V>
  void Remove(uint32_t ref, V& v) {
    QueueOf(ref, v).Unlink(ref, v);
    ghost_.Shrink(size());
  }
  template <class V>
  void Evict(uint32_t ref, V& v) {
    evicted_ = true;
    if (!(v.meta(ref) & kMain)) ghost_.Add(v.hash(ref), size() - size() / 10);
    QueueOf(ref, v).Unlink(ref, v);
  }
  // Terminates: each main reinsertion spends one hit's frequency; each small step moves an item.
  template <class V>
  uint32_t Victim(V& v) {
    if (SmallFirst()) {
      while (!small_.empty()) {
        const uint32_t t = small_.tail();
        if ((v.meta(t) & kFreqMask) < kMoveToMain) return t;
        small_.Unlink(t, v);
        v.set_meta(t, kMain);
        main_.PushHead(t, v);
      }
    }
    while (!main_.empty()) {
      const uint32_t t = main_.tail();
      const uint8_t freq = v.meta(t) & kFreqMask;
      if (freq == 0) return t;
      v.set_meta(t, kMain | (freq - 1));
      main_.MoveToHead(t, v);
    }
    return kNoItem;
  }
  // Small (tail to head), then main. A fixed order, not Victim's current choice of queue: that
  // flips as items leave, and a walk that removes items as it goes (the expiry crawler) must
  // still meet every other item once.
  template <class V>
  uint32_t First(V& /*v*/) const {
    return small_.empty() ? main_.tail() : small_.tail();
  }
  template <class V>
  uint32_t Next(uint32_t ref, V& v) const {
    const uint32_t n = RefList::Newer(ref, v);
    if (n != kNoItem) return n;
    return (v.meta(ref) & kMain) ? kNoItem : main_.tail();
  }
  size_t size() const { return small_.size() + main_.size(); }
  bool empty() const { return size() == 0; }
  size_t MetadataBytes() const { return ghost_.bytes(); }

 private:
  size_t SmallTarget(size_t n) const { return std::max<size_t>(1, n * small_pct_ / 100); }
  bool SmallFirst() const { return !small_.empty() && small_.size() >= SmallTarget(size()); }
  template <class V>
  RefList& QueueOf(uint32_t ref, V& v) {
    return (v.meta(ref) & kMain) ? main_ : small_;
  }

  RefList small_;
  RefList main_;
  GhostFilter ghost_;
  bool evicted_ = false;  // an eviction made room since the last Insert (else the cache is filling)
  uint8_t small_pct_ = kDefaultShare;
};

}  // namespace kmd::cache::policy
