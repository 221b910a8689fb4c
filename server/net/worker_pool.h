// The per-worker io_context pool: one io_context and one thread per worker (DESIGN.md "Threads").
// A connection is created on one worker and stays there. Thread-safety: Next() is called only by
// the accepting thread; Stop()/Join() from the main thread.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace kmd::net {

class WorkerPool {
 public:
  explicit WorkerPool(size_t workers);
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
  size_t size() const { return contexts_.size(); }
  void Stop();
  void Join();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
  // After contexts_: destroyed first, while their io_contexts still exist.
  std::vector<std::unique_ptr<boost::asio::steady_timer>> timers_;
  size_t next_ = 0;
};

}  // namespace kmd::net
