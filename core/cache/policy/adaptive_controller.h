// AdaptiveController: learns online which fixed policy would hit most, from shadow caches.
// Every candidate (each fixed policy, plus S3-FIFO and W-TinyLFU at other shares) runs in a shadow
// KeyCache fed with a spatially sampled subset of the accesses (SHARDS: a key is sampled iff its
// hash falls under a threshold, so a sampled key is always sampled; the shadows hold resident ×
// rate objects, and the rate is adjusted so they hold about `shadow_objects`). Each window of
// sampled accesses scores every candidate by its misses (an exponentially weighted sum over
// windows); the live choice moves to the best candidate only when it beats the current one by a
// margin in `confirm` consecutive windows (hysteresis: no flapping between near-equal policies).
// The live policies (AdaptivePolicy) read current()/generation() and rebuild when it changes.
// Thread-safety: Sampled/current/generation are lock-free; Observe and the rest take a mutex
// (only sampled accesses reach it: ~shadow_objects / resident of them).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/cache/policy/any_policy.h"
#include "core/cache/policy/key_cache.h"
#include "core/cache/policy/policy_kind.h"

namespace kmd::cache::policy {

struct AdaptiveOptions {
  // Every fixed policy at its default, plus S3-FIFO and W-TinyLFU at other shares (switching
  // share within a kind costs no rebuild; W-TinyLFU at 99% behaves as LRU with admission).
  std::vector<PolicySpec> candidates = {PolicyKind::kLru,
                                        PolicyKind::kLfu,
                                        PolicyKind::kFifo,
                                        PolicyKind::kSieve,
                                        {PolicyKind::kS3Fifo, 10},
                                        {PolicyKind::kS3Fifo, 5},
                                        {PolicyKind::kS3Fifo, 25},
                                        {PolicyKind::kWTinyLfu, 1},
                                        {PolicyKind::kWTinyLfu, 5},
                                        {PolicyKind::kWTinyLfu, 20},
                                        {PolicyKind::kWTinyLfu, 50},
                                        {PolicyKind::kWTinyLfu, 99}};
  PolicySpec initial = {PolicyKind::kS3Fifo, 10};  // live policy before the first decision
  uint32_t shadow_objects = 16384;  // sampled shadow capacity to aim for (accuracy vs. cost)
  // Highest share of keys sampled, however small the cache: bounds what the shadows cost per
  // access (the daemon uses 1/16; a simulator can afford 1).
  double max_sample_rate = 1.0;
  double window_factor = 8.0;  // a window is up to this many shadow capacities of accesses
  // Relative lead over the current policy needed to move: to another share of the same kind
  // (cheap: set in place), and to another kind (a rebuild, which forgets frequency history).
  double margin = 0.005;
  double kind_margin = 0.03;
  uint32_t confirm = 2;  // consecutive windows the lead must hold
  double decay = 0.8;    // weight of the past in the per-window miss score
};

struct AdaptiveStats {
  PolicySpec current;
  uint64_t switches = 0;
  uint64_t windows = 0;
  uint64_t sampled = 0;      // accesses fed to the shadows
  double sample_rate = 1.0;  // share of keys sampled
  uint64_t shadow_capacity = 0;
  size_t bytes = 0;  // the shadows' memory
  // Per candidate, in options order: kind and its weighted miss ratio in the shadows.
  std::vector<std::pair<PolicySpec, double>> scores;
};

class AdaptiveController {
 public:
  explicit AdaptiveController(AdaptiveOptions options = {});
  AdaptiveController(const AdaptiveController&) = delete;
  AdaptiveController& operator=(const AdaptiveController&) = delete;

  // Whether an access with this key hash feeds the shadows (lock-free; high hash bits, so the
  // choice is independent of the bits that pick shards and buckets).
  bool Sampled(uint64_t hash) const {
    return (hash >> 40) < threshold_.load(std::memory_order_relaxed);
  }
  // One sampled access (a hit or an insert in the live cache). Call only if Sampled(hash).
  void Observe(uint64_t hash);
  // The live cache's resident objects: told directly (SetResident) or asked for every so often
  // through `fn` (the daemon's store sums its shards). The shadows' capacity follows it.
  void SetResident(uint64_t objects) { resident_.store(objects, std::memory_order_relaxed); }
  void SetResidentSource(std::function<uint64_t()> fn);

  PolicySpec current() const {
    const uint16_t c = current_.load(std::memory_order_acquire);
    return PolicySpec(static_cast<PolicyKind>(c >> 8), static_cast<uint8_t>(c));
  }
  uint32_t generation() const { return generation_.load(std::memory_order_acquire); }
  AdaptiveStats Stats() const;

 private:
  static constexpr uint64_t kFullThreshold = uint64_t{1} << 24;
  void RefreshCapacity();         // mutex held
  void ResetShadows();            // mutex held
  void EndWindow();               // mutex held
  uint64_t WindowLength() const;  // mutex held

  const AdaptiveOptions options_;
  const uint64_t max_threshold_;
  std::atomic<uint64_t> threshold_;
  std::atomic<uint16_t> current_;  // kind << 8 | share
  std::atomic<uint32_t> generation_{0};
  std::atomic<uint64_t> resident_{0};

  mutable std::mutex mu_;
  std::function<uint64_t()> resident_fn_;
  std::vector<std::unique_ptr<KeyCache<AnyPolicy>>> shadows_;
  std::vector<uint64_t> window_misses_;
  std::vector<double> scores_;
  uint64_t window_len_ = 0;
  uint64_t window_pos_ = 0;
  uint64_t shadow_capacity_ = 0;
  uint64_t last_resident_ = 0;  // live size at the previous look
  uint32_t leader_streak_ = 0;
  size_t leader_ = 0;
  uint64_t switches_ = 0;
  uint64_t windows_ = 0;
  uint64_t sampled_ = 0;
};

}  // namespace kmd::cache::policy
