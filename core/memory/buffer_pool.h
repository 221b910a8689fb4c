// BufferPool: a bounded pool of byte buffers in power-of-two size classes (4 KiB .. 2 MiB) for one
// worker's connections (read buffers, output scratch, stall copies, iovec arrays, arena blocks).
// Thread-safety: single-threaded by design: Allocate, Release and Trim run on the owning worker's
// thread only (another thread asks the worker to trim, see server/net/worker_pool.h). The figures
// are relaxed atomics written by that thread, so stats and metrics may read them from any thread.
// Invariants: pooled (idle) bytes never exceed the cap; a buffer released past the cap, or larger
// than the largest class, goes straight back to the system; in_use counts every byte handed out.
// Also a std::pmr::memory_resource, so std containers (pmr::string, pmr::vector) can live in it.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <utility>

namespace kmd::memory {

struct BufferPoolStats {
  uint64_t pooled_bytes = 0;   // idle buffers kept for reuse
  uint64_t in_use_bytes = 0;   // buffers handed out and not yet released (rounded sizes)
  uint64_t hits = 0;           // allocations served from the pool
  uint64_t misses = 0;         // allocations that went to the system
  uint64_t trims = 0;          // idle buffers freed by Trim() or the cap
  uint64_t trimmed_bytes = 0;  // their bytes
  BufferPoolStats& operator+=(const BufferPoolStats& o);
};

class BufferPool final : public std::pmr::memory_resource {
 public:
  static constexpr size_t kMinClassBytes = 4096;
  static constexpr size_t kClasses = 10;  // 4 KiB, 8 KiB, ..., 2 MiB
  static constexpr size_t kMaxClassBytes = kMinClassBytes << (kClasses - 1);
  // Every block is aligned to this (a cache line; enough for any pmr request we serve).
  static constexpr size_t kAlignment = 64;

  explicit BufferPool(size_t max_pooled_bytes);
  ~BufferPool() override;  // frees the idle buffers; handed-out ones must be back by now
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // The block size Allocate(bytes) hands out: its class, or whole pages past the largest class.
  static size_t RoundUp(size_t bytes);
  // A block of at least `bytes` (RoundUp(bytes) usable); never null (throws std::bad_alloc).
  void* Allocate(size_t bytes);
  // `bytes` as given to Allocate (or its RoundUp).
  void Release(void* block, size_t bytes);
  // Frees idle buffers, largest first, until at least `bytes` are freed or none is left.
  // Returns the bytes freed. Owning thread only.
  size_t Trim(size_t bytes);

  size_t max_pooled_bytes() const { return max_pooled_; }
  size_t pooled_bytes() const { return pooled_.load(std::memory_order_relaxed); }
  size_t in_use_bytes() const { return in_use_.load(std::memory_order_relaxed); }
  BufferPoolStats stats() const;  // any thread

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  static int ClassOf(size_t rounded);
  void FreeToSystem(void* block, size_t rounded);
  void Add(std::atomic<uint64_t>& a, uint64_t v) {
    a.store(a.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
  }
  void Sub(std::atomic<uint64_t>& a, uint64_t v) {
    a.store(a.load(std::memory_order_relaxed) - v, std::memory_order_relaxed);
  }

  void* do_allocate(size_t bytes, size_t alignment) override;
  void do_deallocate(void* p, size_t bytes, size_t alignment) override;
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  const size_t max_pooled_;
  std::array<FreeBlock*, kClasses> free_{};  // idle blocks per class, linked through themselves
  // Written by the owning thread only (load + store, no read-modify-write), read by any.
  std::atomic<uint64_t> pooled_{0};
  std::atomic<uint64_t> in_use_{0};
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
  std::atomic<uint64_t> trims_{0};
  std::atomic<uint64_t> trimmed_bytes_{0};
};

// One buffer borrowed from a pool, given back on destruction or Reset(). Move-only; owner thread.
class PooledBuffer {
 public:
  PooledBuffer() = default;
  PooledBuffer(BufferPool* pool, size_t bytes)
      : pool_(pool),
        data_(static_cast<char*>(pool->Allocate(bytes))),
        size_(BufferPool::RoundUp(bytes)) {}
  PooledBuffer(PooledBuffer&& o) noexcept
      : pool_(o.pool_), data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  PooledBuffer& operator=(PooledBuffer&& o) noexcept {
    if (this != &o) {
      Reset();
      pool_ = o.pool_;
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~PooledBuffer() { Reset(); }

  void Reset() {
    if (data_ != nullptr) pool_->Release(data_, size_);
    data_ = nullptr;
    size_ = 0;
  }
  char* data() const { return data_; }
  size_t size() const { return size_; }  // usable bytes (the rounded block size)
  bool empty() const { return data_ == nullptr; }

 private:
  BufferPool* pool_ = nullptr;
  char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace kmd::memory
