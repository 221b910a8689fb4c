// WorkerPool: io_contexts with concurrency hint 1 (each runs on exactly one thread).
#include "server/net/worker_pool.h"

namespace kmd::net {

WorkerPool::WorkerPool(size_t workers) {
  for (size_t i = 0; i < workers; ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

WorkerPool::~WorkerPool() {
  Stop();
  Join();
}

void WorkerPool::Start() {
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
}

}  // namespace kmd::net
