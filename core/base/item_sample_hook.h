// Item write sampling hook: core/cache calls SampleItemWrite() after each successful store; one
// write in kItemSampleEvery on average (per thread, at random intervals of 1..2N-1 writes, so
// that a periodic key pattern cannot alias with the sampling) reaches the hook that core/profile
// registers, which attributes the written bytes to a key prefix and a command. Unregistered: one
// relaxed load. Thread-safety: callable from any thread; the hook runs on the writing thread (it
// must not call back into the store). The hook stays valid for as long as it is registered.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

namespace kmd::base {

// The store operation that wrote an item (the `command` of /debug/heap's item table).
enum class ItemWriteOp : uint8_t { kSet, kAdd, kReplace, kAppend, kPrepend, kCas, kCount };
std::string_view ItemWriteOpName(ItemWriteOp op);

inline constexpr uint32_t kItemSampleEvery = 16;

// `bytes`: key + value bytes written; `weight`: writes this sample stands for.
using ItemWriteHook = void (*)(std::string_view key, uint64_t bytes, ItemWriteOp op,
                               uint32_t weight);

inline std::atomic<ItemWriteHook> g_item_write_hook{nullptr};
void SetItemWriteHook(ItemWriteHook hook);

inline void SampleItemWrite(std::string_view key, uint64_t bytes, ItemWriteOp op) {
  const ItemWriteHook hook = g_item_write_hook.load(std::memory_order_relaxed);
  if (hook == nullptr) return;
  thread_local uint32_t countdown = 0;
  thread_local uint32_t rng = 0x9E3779B9u;
  if (countdown-- != 0) return;
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  countdown = rng % (2 * kItemSampleEvery - 1);  // the next sample in 1..2N-1 writes, mean N
  hook(key, bytes, op, kItemSampleEvery);
}

}  // namespace kmd::base
