// Item write hook registration and the operation names.
#include "core/base/item_sample_hook.h"

namespace kmd::base {

std::string_view ItemWriteOpName(ItemWriteOp op) {
  switch (op) {
    case ItemWriteOp::kSet:
      return "set";
    case ItemWriteOp::kAdd:
      return "add";
    case ItemWriteOp::kReplace:
      return "replace";
    case ItemWriteOp::kAppend:
      return "append";
    case ItemWriteOp::kPrepend:
      return "prepend";
    case ItemWriteOp::kCas:
      return "cas";
    case ItemWriteOp::kCount:
      break;
  }
  return "other";
}

void SetItemWriteHook(ItemWriteHook hook) {
  g_item_write_hook.store(hook, std::memory_order_relaxed);
}

}  // namespace kmd::base
