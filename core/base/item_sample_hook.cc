// Item write hook registration and the operation names.
#include "core/base/item_sample_hook.h"

#include <array>

namespace kmd::base {

std::string_view ItemWriteOpName(ItemWriteOp op) {
  static constexpr std::array<std::string_view, static_cast<size_t>(ItemWriteOp::kCount)> kNames = {
      "set", "add", "replace", "append", "prepend", "cas"};
  const auto i = static_cast<size_t>(op);
  return i < kNames.size() ? kNames[i] : "other";
}

void SetItemWriteHook(ItemWriteHook hook) {
  g_item_write_hook.store(hook, std::memory_order_relaxed);
}

}  // namespace kmd::base
