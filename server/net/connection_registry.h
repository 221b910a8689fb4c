// Per-worker set of live connections so that shutdown can drain them all.
// Thread-safety: each worker has its own registry, touched only on that worker's thread; the
// count is atomic so the main thread can wait for all connections to go.
#pragma once

#include <atomic>
#include <unordered_set>

namespace kmd::net {

class ConnectionHandle {
 public:
  virtual ~ConnectionHandle() = default;
  virtual void Drain() = 0;
  virtual void ParkIfIdle() = 0;
};

class ConnectionRegistry {
 public:
  void Add(ConnectionHandle* c) {
    live_.insert(c);
    count_.fetch_add(1, std::memory_order_relaxed);
  }
  void Remove(ConnectionHandle* c) {
    if (live_.erase(c) != 0) count_.fetch_sub(1, std::memory_order_relaxed);
  }
  void DrainAll() {
    // Drain may close and remove; iterate over a copy.
    std::unordered_set<ConnectionHandle*> copy = live_;
    for (ConnectionHandle* c : copy) c->Drain();
  }
  // Parks (see Connection) every connection idle since the previous call.
  void ParkIdle() {
    for (ConnectionHandle* c : live_) c->ParkIfIdle();
  }
  size_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::unordered_set<ConnectionHandle*> live_;
  std::atomic<size_t> count_{0};
};

}  // namespace kmd::net
