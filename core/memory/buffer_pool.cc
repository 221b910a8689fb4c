// BufferPool: per-class intrusive free lists (the link lives in the idle block itself), so a hit
// is a pop and a release a push; the system allocator is called only on a miss, past the cap, or
// by Trim().
#include "core/memory/buffer_pool.h"

#include <bit>
#include <cassert>
#include <new>

namespace kmd::memory {

BufferPoolStats& BufferPoolStats::operator+=(const BufferPoolStats& o) {
  pooled_bytes += o.pooled_bytes;
  in_use_bytes += o.in_use_bytes;
  hits += o.hits;
  misses += o.misses;
  trims += o.trims;
  trimmed_bytes += o.trimmed_bytes;
  return *this;
}

BufferPool::BufferPool(size_t max_pooled_bytes) : max_pooled_(max_pooled_bytes) {}

BufferPool::~BufferPool() {
  assert(in_use_bytes() == 0 && "a buffer outlived its pool");
  Trim(SIZE_MAX);
}

size_t BufferPool::RoundUp(size_t bytes) {
  if (bytes <= kMinClassBytes) return kMinClassBytes;
  if (bytes <= kMaxClassBytes) return std::bit_ceil(bytes);
  return (bytes + kMinClassBytes - 1) / kMinClassBytes * kMinClassBytes;
}

int BufferPool::ClassOf(size_t rounded) {
  if (rounded > kMaxClassBytes || !std::has_single_bit(rounded)) return -1;
  return std::countr_zero(rounded) - std::countr_zero(kMinClassBytes);
}

void* BufferPool::Allocate(size_t bytes) {
  const size_t rounded = RoundUp(bytes);
  const int cls = ClassOf(rounded);
  Add(in_use_, rounded);
  if (cls >= 0 && free_[cls] != nullptr) {
    FreeBlock* block = free_[cls];
    free_[cls] = block->next;
    Sub(pooled_, rounded);
    Add(hits_, 1);
    return block;
  }
  Add(misses_, 1);
  return ::operator new (rounded, std::align_val_t{kAlignment});
}

void BufferPool::Release(void* block, size_t bytes) {
  if (block == nullptr) return;
  const size_t rounded = RoundUp(bytes);
  const int cls = ClassOf(rounded);
  Sub(in_use_, rounded);
  if (cls < 0 || pooled_bytes() + rounded > max_pooled_) {
    FreeToSystem(block, rounded);
    return;
  }
  auto* free_block = static_cast<FreeBlock*>(block);
  free_block->next = free_[cls];
  free_[cls] = free_block;
  Add(pooled_, rounded);
}

void BufferPool::FreeToSystem(void* block, size_t rounded) {
  ::operator delete (block, rounded, std::align_val_t{kAlignment});
  Add(trims_, 1);
  Add(trimmed_bytes_, rounded);
}

size_t BufferPool::Trim(size_t bytes) {
  size_t freed = 0;
  for (int cls = static_cast<int>(kClasses) - 1; cls >= 0 && freed < bytes; --cls) {
    const size_t size = kMinClassBytes << cls;
    while (free_[cls] != nullptr && freed < bytes) {
      FreeBlock* block = free_[cls];
      free_[cls] = block->next;
      Sub(pooled_, size);
      FreeToSystem(block, size);
      freed += size;
    }
  }
  return freed;
}

BufferPoolStats BufferPool::stats() const {
  BufferPoolStats s;
  s.pooled_bytes = pooled_.load(std::memory_order_relaxed);
  s.in_use_bytes = in_use_.load(std::memory_order_relaxed);
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.trims = trims_.load(std::memory_order_relaxed);
  s.trimmed_bytes = trimmed_bytes_.load(std::memory_order_relaxed);
  return s;
}

void* BufferPool::do_allocate(size_t bytes, size_t alignment) {
  if (alignment > kAlignment) throw std::bad_alloc();
  return Allocate(bytes);
}

void BufferPool::do_deallocate(void* p, size_t bytes, size_t /*alignment*/) { Release(p, bytes); }

}  // namespace kmd::memory
