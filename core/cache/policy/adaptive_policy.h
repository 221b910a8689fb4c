// AdaptivePolicy: the policy the Store and kmd-sim hold. With kind = a fixed policy it is exactly
// that policy (AnyPolicy). With kind = adaptive it keeps a live fixed policy and follows an
// AdaptiveController: every access it sees is offered to the controller's sampler, and when the
// controller's choice changes (generation) the live policy is rebuilt in the new kind on the next
// call, under the caller's lock. The daemon shares one controller among all shards and classes;
// kmd-sim's single cache owns its own.
// Per item: what the live policy keeps (links + meta). Policy-owned bytes: the live policy's plus,
// when owned, the controller's shadows (the daemon reports the shared controller once).
// Thread-safety: none of its own; the controller is thread-safe.
#pragma once

#include <memory>

#include "core/cache/policy/adaptive_controller.h"
#include "core/cache/policy/any_policy.h"
#include "core/cache/policy/policy_kind.h"

namespace kmd::cache::policy {

class AdaptivePolicy {
 public:
  static constexpr const char* kName = "adaptive";

  // kind = kAdaptive without a controller: owns one built from `options`.
  explicit AdaptivePolicy(PolicyKind kind = PolicyKind::kLru, AdaptiveController* shared = nullptr,
                          AdaptiveOptions options = {})
      : live_(kind == PolicyKind::kAdaptive ? options.initial : PolicySpec(kind)), kind_(kind) {
    if (kind != PolicyKind::kAdaptive) return;
    if (shared == nullptr) {
      owned_ = std::make_unique<AdaptiveController>(std::move(options));
      shared = owned_.get();
    }
    ctl_ = shared;
    gen_ = ctl_->generation();
    if (ctl_->current() != live_.spec()) live_ = AnyPolicy(ctl_->current());
  }

  PolicyKind kind() const { return kind_; }
  PolicyKind live_kind() const { return live_.kind(); }
  PolicySpec live_spec() const { return live_.spec(); }
  const char* name() const { return ctl_ != nullptr ? kName : live_.name(); }
  AdaptiveController* controller() const { return ctl_; }

  template <class V>
  void Insert(uint32_t ref, uint64_t hash, V& v) {
    Follow(v);
    live_.Insert(ref, hash, v);
    Offer(hash);
  }
  template <class V>
  void Hit(uint32_t ref, uint64_t hash, V& v) {
    Follow(v);
    live_.Hit(ref, hash, v);
    Offer(hash);
  }
  template <class V>
  void Remove(uint32_t ref, V& v) {
    live_.Remove(ref, v);
  }
  template <class V>
  void Evict(uint32_t ref, V& v) {
    live_.Evict(ref, v);
  }
  template <class V>
  uint32_t Victim(V& v) {
    Follow(v);
    return live_.Victim(v);
  }
  template <class V>
  uint32_t First(V& v) const {
    return live_.First(v);
  }
  template <class V>
  uint32_t Next(uint32_t ref, V& v) const {
    return live_.Next(ref, v);
  }
  size_t size() const { return live_.size(); }
  bool empty() const { return live_.empty(); }
  size_t MetadataBytes() const {
    return live_.MetadataBytes() + (owned_ ? owned_->Stats().bytes : 0);
  }

 private:
  template <class V>
  void Follow(V& v) {
    if (ctl_ == nullptr) return;
    const uint32_t g = ctl_->generation();
    if (g == gen_) return;
    gen_ = g;
    live_.Rebuild(ctl_->current(), v);
  }
  void Offer(uint64_t hash) {
    if (ctl_ == nullptr || !ctl_->Sampled(hash)) return;
    if (owned_) owned_->SetResident(live_.size());
    ctl_->Observe(hash);
  }

  AnyPolicy live_;
  PolicyKind kind_;
  AdaptiveController* ctl_ = nullptr;
  std::unique_ptr<AdaptiveController> owned_;
  uint32_t gen_ = 0;
};

}  // namespace kmd::cache::policy
