// Shrinker: the seam through which memory held outside the item budget (buffer pools, connection
// output copies, arenas) is handed back when the process's RSS nears memory.rss_limit. Holders
// implement Shrinker and register it; the RSS controller (core/reclaim) asks them in priority
// order. Lives in core/base so that server/net (which may not see core/reclaim) can register.
// Thread-safety: the registry may be used from any thread; Shrink() and HeldBytes() are called
// from the controller's thread and must be thread-safe in the holder. A holder unregisters before
// it is destroyed (Registration does it).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

namespace kmd::base {

class Shrinker {
 public:
  virtual ~Shrinker() = default;
  // Short stable name for stats ("conn_copies", "buffer_pools").
  virtual std::string_view name() const = 0;
  // Lower runs first: cheap-to-rebuild caches before anything a client notices.
  virtual int priority() const = 0;
  // Bytes it holds now that Shrink could free (an estimate, read often: keep it cheap).
  virtual uint64_t HeldBytes() const = 0;
  // Frees about `bytes` (or as much as it can, bounded work: no lock held for more than ~1 ms).
  // Returns the bytes freed or scheduled to be freed within ~100 ms.
  virtual uint64_t Shrink(uint64_t bytes) = 0;
};

class ShrinkerRegistry {
 public:
  void Add(Shrinker* s) {
    std::lock_guard lock(mu_);
    shrinkers_.push_back(s);
    std::stable_sort(
        shrinkers_.begin(), shrinkers_.end(),
        [](const Shrinker* a, const Shrinker* b) { return a->priority() < b->priority(); });
  }
  void Remove(Shrinker* s) {
    std::lock_guard lock(mu_);
    std::erase(shrinkers_, s);
  }
  // Calls f(Shrinker&) for each, in priority order, under the registry lock (so a holder cannot
  // unregister and go away meanwhile): f must not Add or Remove.
  template <class F>
  void ForEach(F&& f) const {
    std::lock_guard lock(mu_);
    for (Shrinker* s : shrinkers_) f(*s);
  }

 private:
  mutable std::mutex mu_;
  std::vector<Shrinker*> shrinkers_;
};

// Registers on construction, unregisters on destruction.
class ShrinkerRegistration {
 public:
  ShrinkerRegistration(ShrinkerRegistry* registry, Shrinker* shrinker)
      : registry_(registry), shrinker_(shrinker) {
    if (registry_ != nullptr) registry_->Add(shrinker_);
  }
  ~ShrinkerRegistration() {
    if (registry_ != nullptr) registry_->Remove(shrinker_);
  }
  ShrinkerRegistration(const ShrinkerRegistration&) = delete;
  ShrinkerRegistration& operator=(const ShrinkerRegistration&) = delete;

 private:
  ShrinkerRegistry* registry_;
  Shrinker* shrinker_;
};

// Admission signal from the RSS controller to code that would grow memory outside the budget:
// set while RSS is at or over memory.rss_limit. Relaxed atomics: a hint read on slow paths only.
class MemoryPressure {
 public:
  bool over_limit() const { return over_.load(std::memory_order_relaxed); }
  void set_over_limit(bool over) { over_.store(over, std::memory_order_relaxed); }

 private:
  std::atomic<bool> over_{false};
};

}  // namespace kmd::base
