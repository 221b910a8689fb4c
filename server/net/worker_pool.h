// The per-worker io_context pool: one io_context and one thread per worker (DESIGN.md "Threads"),
// and each worker's WorkerMemory (buffer pool and batch arena). A connection is created on one
// worker and stays there, using that worker's memory.
// Thread-safety: Next() is called only by the accepting thread; Stop()/Join() from the main
// thread; BufferStats() and TrimBuffers() from any thread (TrimBuffers runs the trim on each
// worker's own thread, so the pools stay single-threaded).
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "core/memory/buffer_pool.h"
#include "server/net/worker_memory.h"

namespace kmd::net {

class WorkerPool {
 public:
  explicit WorkerPool(size_t workers, size_t buffer_pool_bytes = WorkerMemory::kDefaultPoolBytes);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();

  void Start();
  // Runs `task` on every worker's thread every `period` while the pool runs (per-thread upkeep,
  // e.g. giving a thread's cached slab chunks back). Call before Start().
  void RunEvery(std::chrono::milliseconds period, std::function<void()> task);
  // Round-robin choice of the worker for a new connection.
  boost::asio::io_context& Next();
  size_t NextIndex();
  boost::asio::io_context& At(size_t i) { return *contexts_[i]; }
  WorkerMemory& MemoryAt(size_t i) { return *memories_[i]; }
  size_t size() const { return contexts_.size(); }
  void Stop();
  void Join();

  // Every worker's pool figures summed. Any thread.
  memory::BufferPoolStats BufferStats() const;
  // Frees up to `bytes` of idle buffer memory (pooled buffers, then kept arena blocks), worker
  // by worker, each on its own thread; returns the bytes freed. Any thread: from a non-worker
  // thread it waits for each worker's answer up to `wait` in all (a busy worker's trim still runs
  // later but is not counted); on a worker thread it trims that worker inline without waiting for
  // the others. Before Start() or after Stop() it trims inline (no worker thread runs).
  size_t TrimBuffers(size_t bytes, std::chrono::milliseconds wait = std::chrono::milliseconds(100));

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  // Declared before the contexts: connections that queued handlers own release their buffers
  // while the contexts are destroyed, into memories that must still exist.
  std::vector<std::unique_ptr<WorkerMemory>> memories_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
  // After contexts_: destroyed first, while their io_contexts still exist.
  std::vector<std::unique_ptr<boost::asio::steady_timer>> timers_;
  size_t next_ = 0;
  std::atomic<bool> running_{false};  // worker threads may be running (Start to Join)
};

}  // namespace kmd::net
