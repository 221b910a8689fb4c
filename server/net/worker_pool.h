// The per-worker io_context pool: one io_context and one thread per worker (DESIGN.md "Threads").
// A connection is created on one worker and stays there. Thread-safety: Next() is called only by
// the accepting thread; Stop()/Join() from the main thread.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
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
  size_t next_ = 0;
};

}  // namespace kmd::net
