// Fixed per-operation storage for Asio completion handlers, so a connection's read, write and timer
// operations never touch the heap: Boost 1.74 caches only one handler block per thread, and a
// connection keeps a read and a write (and in open-loop mode a timer) outstanding at once.
// Not thread-safe: each HandlerMemory serves one outstanding operation of one connection, which
// Asio frees before it invokes the handler, so the next operation of that kind can reuse it.
#pragma once

#include <cstddef>
#include <new>
#include <utility>

namespace kmd::bench {

class HandlerMemory {
 public:
  HandlerMemory() = default;
  HandlerMemory(const HandlerMemory&) = delete;
  HandlerMemory& operator=(const HandlerMemory&) = delete;

  void* Allocate(size_t size) {
    if (!in_use_ && size <= sizeof(storage_)) {
      in_use_ = true;
      return storage_;
    }
    return ::operator new(size);  // a larger or overlapping operation: correct, just slower
  }
  void Deallocate(void* p) {
    if (p == storage_) {
      in_use_ = false;
    } else {
      ::operator delete(p);
    }
  }

 private:
  alignas(std::max_align_t) unsigned char storage_[512];
  bool in_use_ = false;
};

// The minimal standard allocator Asio asks a handler for (associated_allocator).
template <typename T>
class HandlerAllocator {
 public:
  using value_type = T;
  explicit HandlerAllocator(HandlerMemory& mem) : memory_(&mem) {}
  template <typename U>
  HandlerAllocator(const HandlerAllocator<U>& other) noexcept : memory_(other.memory_) {}
  T* allocate(size_t n) const { return static_cast<T*>(memory_->Allocate(sizeof(T) * n)); }
  void deallocate(T* p, size_t) const { memory_->Deallocate(p); }
  template <typename U>
  bool operator==(const HandlerAllocator<U>& other) const noexcept {
    return memory_ == other.memory_;
  }

 private:
  template <typename>
  friend class HandlerAllocator;
  HandlerMemory* memory_;
};

template <typename Handler>
class AllocHandler {
 public:
  using allocator_type = HandlerAllocator<Handler>;
  AllocHandler(HandlerMemory& mem, Handler h) : memory_(mem), handler_(std::move(h)) {}
  allocator_type get_allocator() const noexcept { return allocator_type(memory_); }
  template <typename... Args>
  void operator()(Args&&... args) {
    handler_(std::forward<Args>(args)...);
  }

 private:
  HandlerMemory& memory_;
  Handler handler_;
};

template <typename Handler>
AllocHandler<Handler> WithMemory(HandlerMemory& mem, Handler h) {
  return AllocHandler<Handler>(mem, std::move(h));
}

}  // namespace kmd::bench
