// ItemProfile: where item writes go, from the store's sampled write hook
// (core/base/item_sample_hook.h): bytes by key prefix (the key up to the first delimiter
// character, or the whole key; top kTopPrefixes by a SpaceSaving sketch) and by command. Figures
// are scaled by the sampling weight, so they estimate all writes since start.
// Thread-safety: one instance registers the hook at a time (the constructor throws otherwise);
// the hook runs on worker threads and takes one mutex for a few hundred nanoseconds; Snapshot
// from any thread. The registered instance must outlive the threads that write to the store.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/item_sample_hook.h"
#include "core/profile/space_saving.h"

namespace kmd::profile {

struct ItemWriteFigures {
  uint64_t writes = 0;
  uint64_t bytes = 0;
};

struct ItemWrites {
  std::vector<HeavyHitter> prefixes;  // count: bytes written, heaviest first
  uint64_t prefix_total = 0;          // bytes of every write, held in the sketch or not
  std::array<ItemWriteFigures, static_cast<size_t>(base::ItemWriteOp::kCount)> by_command{};
};

class ItemProfile {
 public:
  static constexpr size_t kTopPrefixes = 64;

  // Registers the hook when `register_hook`; tests call Record directly.
  ItemProfile(std::string delimiters, bool register_hook);
  ~ItemProfile();
  ItemProfile(const ItemProfile&) = delete;
  ItemProfile& operator=(const ItemProfile&) = delete;

  void Record(std::string_view key, uint64_t bytes, base::ItemWriteOp op, uint32_t weight);
  ItemWrites Snapshot() const;
  // The key's prefix: up to (not including) the first delimiter character; the key if none.
  std::string_view Prefix(std::string_view key) const;

 private:
  static void OnWrite(std::string_view key, uint64_t bytes, base::ItemWriteOp op, uint32_t weight);

  const std::string delimiters_;
  const bool registered_;
  mutable std::mutex mu_;
  SpaceSaving prefixes_{kTopPrefixes};  // guarded by mu_
  ItemWrites totals_;                   // by_command only; guarded by mu_
};

}  // namespace kmd::profile
