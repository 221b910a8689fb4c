// Per-worker set of live connections so that shutdown can drain them all and the RSS controller
// can abort stalled readers that hold copied output.
// Thread-safety: each worker has its own registry, touched only on that worker's thread; the
// count is atomic so the main thread can wait for all connections to go.
#pragma once

#include <algorithm>
#include <atomic>
#include <unordered_set>
#include <utility>
#include <vector>

namespace kmd::net {

class ConnectionHandle {
 public:
  virtual ~ConnectionHandle() = default;
  virtual void Drain() = 0;
  // Bytes of output this connection holds copied for a stalled reader (0: none).
  virtual size_t CopiedBytes() const = 0;
  // Closes at once, dropping pending output (the RSS controller frees a stalled reader's copy).
  virtual void Abort() = 0;
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
  // Aborts connections holding stalled-reader copies, largest first, until about `bytes` are
  // freed. Returns the connections aborted.
  size_t AbortCopies(size_t bytes) {
    std::vector<std::pair<size_t, ConnectionHandle*>> holders;
    for (ConnectionHandle* c : live_) {
      if (const size_t n = c->CopiedBytes(); n > 0) holders.emplace_back(n, c);
    }
    std::sort(holders.begin(), holders.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    size_t freed = 0, aborted = 0;
    for (const auto& [n, c] : holders) {
      if (freed >= bytes) break;
      c->Abort();
      freed += n;
      ++aborted;
    }
    return aborted;
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
