// BatchArena: a bump allocator for one batch's temporary data (a read's parsed requests, key
// lists, response scratch), reset after the batch. Blocks come from an upstream resource (a
// worker's BufferPool); Reset() keeps the largest block for the next batch and gives the rest
// back, so a steady workload allocates nothing after its first batches. Deallocation is a no-op.
// Thread-safety: single-threaded by design (one per worker, used on its thread only); the
// figures are relaxed atomics so that stats may read them from any thread.
// Invariant: memory handed out stays valid until the next Reset() or Release(); nothing may be
// kept across them. Also a std::pmr::memory_resource for pmr containers.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <new>
#include <utility>

namespace kmd::memory {

class BatchArena final : public std::pmr::memory_resource {
 public:
  static constexpr size_t kDefaultBlockBytes = 16 * 1024;

  explicit BatchArena(std::pmr::memory_resource* upstream,
                      size_t first_block_bytes = kDefaultBlockBytes);
  ~BatchArena() override;
  BatchArena(const BatchArena&) = delete;
  BatchArena& operator=(const BatchArena&) = delete;

  // `bytes` aligned to `alignment` (a power of two); grows by a new block when the current one
  // is full (each new block at least twice the previous one).
  void* Allocate(size_t bytes, size_t alignment = alignof(std::max_align_t));
  // Constructs a T in the arena. T's destructor never runs: T must be trivially destructible
  // or own nothing outside the arena.
  template <class T, class... Args>
  T* New(Args&&... args) {
    return ::new (Allocate(sizeof(T), alignof(T))) T(std::forward<Args>(args)...);
  }
  // Forgets everything handed out; keeps the largest block, returns the others upstream.
  void Reset();
  // Reset() and also the kept block: the arena holds nothing. Returns the bytes given back.
  size_t Release();

  size_t used_bytes() const { return used_.load(std::memory_order_relaxed); }
  size_t held_bytes() const { return held_.load(std::memory_order_relaxed); }  // block bytes
  uint64_t blocks_allocated() const { return blocks_allocated_.load(std::memory_order_relaxed); }

  // Resets the arena when the scope ends (one batch).
  class Scope {
   public:
    explicit Scope(BatchArena& arena) : arena_(arena) {}
    ~Scope() { arena_.Reset(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    BatchArena& arena_;
  };

 private:
  struct Block {
    Block* prev;
    size_t size;  // whole block, header included
  };
  static constexpr size_t kHeader = (sizeof(Block) + alignof(std::max_align_t) - 1) /
                                    alignof(std::max_align_t) * alignof(std::max_align_t);
  void* Grow(size_t bytes, size_t alignment);
  // Gives back every block but `keep` (which may be null).
  size_t FreeBlocksExcept(Block* keep);
  void Store(std::atomic<uint64_t>& a, uint64_t v) { a.store(v, std::memory_order_relaxed); }

  void* do_allocate(size_t bytes, size_t alignment) override { return Allocate(bytes, alignment); }
  void do_deallocate(void*, size_t, size_t) override {}
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  std::pmr::memory_resource* upstream_;
  const size_t first_block_;
  Block* head_ = nullptr;  // current block; older ones through prev
  char* cursor_ = nullptr;
  char* limit_ = nullptr;
  size_t used_in_older_ = 0;  // bytes handed out from blocks before head_
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> held_{0};
  std::atomic<uint64_t> blocks_allocated_{0};
};

}  // namespace kmd::memory
