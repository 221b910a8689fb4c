// BatchArena: bump allocation in the current block; a block chain (newest first) given back on
// Reset() except the largest, which becomes the only block of the next batch.
#include "core/memory/batch_arena.h"

#include <cstdint>

namespace kmd::memory {
namespace {

char* AlignUp(char* p, size_t alignment) {
  const auto v = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<char*>((v + alignment - 1) & ~(uintptr_t{alignment} - 1));
}

}  // namespace

BatchArena::BatchArena(std::pmr::memory_resource* upstream, size_t first_block_bytes)
    : upstream_(upstream), first_block_(first_block_bytes) {}

BatchArena::~BatchArena() { Release(); }

void* BatchArena::Allocate(size_t bytes, size_t alignment) {
  char* p = AlignUp(cursor_, alignment);
  if (head_ == nullptr || p + bytes > limit_ || p < cursor_) return Grow(bytes, alignment);
  cursor_ = p + bytes;
  Store(used_, used_in_older_ + static_cast<size_t>(cursor_ - reinterpret_cast<char*>(head_)));
  return p;
}

void* BatchArena::Grow(size_t bytes, size_t alignment) {
  size_t size = head_ == nullptr ? first_block_ : head_->size * 2;
  const size_t need = kHeader + bytes + alignment;
  while (size < need) size *= 2;
  if (head_ != nullptr) {
    used_in_older_ += static_cast<size_t>(cursor_ - reinterpret_cast<char*>(head_));
  }
  auto* block = static_cast<Block*>(upstream_->allocate(size, alignof(std::max_align_t)));
  block->prev = head_;
  block->size = size;
  head_ = block;
  cursor_ = reinterpret_cast<char*>(block) + kHeader;
  limit_ = reinterpret_cast<char*>(block) + size;
  Store(held_, held_bytes() + size);
  Store(blocks_allocated_, blocks_allocated() + 1);
  return Allocate(bytes, alignment);
}

size_t BatchArena::FreeBlocksExcept(Block* keep) {
  size_t freed = 0;
  Block* b = head_;
  while (b != nullptr) {
    Block* prev = b->prev;
    if (b != keep) {
      freed += b->size;
      upstream_->deallocate(b, b->size, alignof(std::max_align_t));
    }
    b = prev;
  }
  head_ = keep;
  if (keep != nullptr) {
    keep->prev = nullptr;
    cursor_ = reinterpret_cast<char*>(keep) + kHeader;
    limit_ = reinterpret_cast<char*>(keep) + keep->size;
  } else {
    cursor_ = limit_ = nullptr;
  }
  used_in_older_ = 0;
  Store(used_, 0);
  Store(held_, held_bytes() - freed);
  return freed;
}

void BatchArena::Reset() {
  if (head_ == nullptr) return;
  // Blocks only grow, so the newest is the largest.
  FreeBlocksExcept(head_);
}

size_t BatchArena::Release() { return FreeBlocksExcept(nullptr); }

}  // namespace kmd::memory
