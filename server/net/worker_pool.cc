// WorkerPool: io_contexts with concurrency hint 1 (each runs on exactly one thread); trims are
// posted to the owning worker and awaited through a future.
#include "server/net/worker_pool.h"

#include <boost/asio/post.hpp>
#include <future>

namespace kmd::net {

WorkerPool::WorkerPool(size_t workers, size_t buffer_pool_bytes) {
  for (size_t i = 0; i < workers; ++i) {
    memories_.push_back(std::make_unique<WorkerMemory>(buffer_pool_bytes));
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

WorkerPool::~WorkerPool() {
  Stop();
  Join();
}

void WorkerPool::Start() {
  running_.store(true);
  for (auto& context : contexts_) {
    threads_.emplace_back([ctx = context.get()] { ctx->run(); });
  }
}

namespace {
void Arm(boost::asio::steady_timer& timer, std::chrono::milliseconds period,
         std::shared_ptr<std::function<void()>> task) {
  timer.expires_after(period);
  timer.async_wait([&timer, period, task](const boost::system::error_code& ec) {
    if (ec) return;
    (*task)();
    Arm(timer, period, task);
  });
}
}  // namespace

void WorkerPool::RunEvery(std::chrono::milliseconds period, std::function<void()> task) {
  auto shared = std::make_shared<std::function<void()>>(std::move(task));
  for (auto& context : contexts_) {
    timers_.push_back(std::make_unique<boost::asio::steady_timer>(*context));
    Arm(*timers_.back(), period, shared);
  }
}

boost::asio::io_context& WorkerPool::Next() {
  auto& ctx = *contexts_[next_];
  next_ = (next_ + 1) % contexts_.size();
  return ctx;
}

size_t WorkerPool::NextIndex() {
  size_t i = next_;
  next_ = (next_ + 1) % contexts_.size();
  return i;
}

void WorkerPool::Stop() {
  for (auto& guard : guards_) guard.reset();
  for (auto& context : contexts_) context->stop();
}

void WorkerPool::Join() {
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
  running_.store(false);
}

memory::BufferPoolStats WorkerPool::BufferStats() const {
  memory::BufferPoolStats sum;
  for (const auto& m : memories_) sum += m->pool.stats();
  return sum;
}

size_t WorkerPool::TrimBuffers(size_t bytes, std::chrono::milliseconds wait) {
  for (size_t i = 0; i < contexts_.size(); ++i) {
    // A worker never blocks on another one (two trimming workers would wait on each other).
    if (contexts_[i]->get_executor().running_in_this_thread()) return memories_[i]->Trim(bytes);
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  size_t freed = 0;
  for (size_t i = 0; i < contexts_.size() && freed < bytes; ++i) {
    WorkerMemory* memory = memories_[i].get();
    if (!running_.load()) {
      freed += memory->Trim(bytes - freed);
      continue;
    }
    auto done = std::make_shared<std::promise<size_t>>();
    std::future<size_t> answer = done->get_future();
    boost::asio::post(*contexts_[i], [memory, want = bytes - freed, done] {
      done->set_value(memory->Trim(want));
    });
    if (answer.wait_until(deadline) != std::future_status::ready) break;
    try {
      freed += answer.get();
    } catch (const std::future_error&) {
      // The context was destroyed with the trim still queued: nothing was freed.
    }
  }
  return freed;
}

}  // namespace kmd::net
