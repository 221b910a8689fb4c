// WorkerPool::RunEvery: the task runs on every worker's own thread, repeatedly, and stops with
// the pool.
#include "server/net/worker_pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

namespace kmd::net {
namespace {

TEST_CASE("RunEvery: the task runs on each worker thread, again and again") {
  WorkerPool pool(2);
  std::mutex mu;
  std::set<std::thread::id> threads;
  std::atomic<int> runs{0};
  pool.RunEvery(std::chrono::milliseconds(5), [&] {
    std::lock_guard lock(mu);
    threads.insert(std::this_thread::get_id());
    ++runs;
  });
  pool.Start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (runs.load() < 10 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pool.Stop();
  pool.Join();
  const int after_stop = runs.load();
  CHECK(after_stop >= 10);
  std::lock_guard lock(mu);
  CHECK(threads.size() == 2);
  CHECK(threads.count(std::this_thread::get_id()) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(runs.load() == after_stop);
}

}  // namespace
}  // namespace kmd::net
