// WorkerPool's buffer memory: each worker's pool filled on its own thread, figures summed for
// stats, and TrimBuffers from another thread (the RSS controller's entry point), before and
// after the workers run.
#include "server/net/worker_pool.h"

#include <doctest/doctest.h>

#include <boost/asio/post.hpp>
#include <cstdint>
#include <future>

namespace kmd::net {
namespace {

constexpr size_t kKiB = 1024;

// On worker `i`'s thread: leaves a 64 KiB buffer idle in its pool and a 16 KiB block kept by
// its arena (the pool's idle 16 KiB buffer, reused).
void FillOnWorker(WorkerPool& pool, size_t i) {
  std::promise<void> done;
  boost::asio::post(pool.At(i), [&pool, i, &done] {
    WorkerMemory& m = pool.MemoryAt(i);
    {
      memory::PooledBuffer a(&m.pool, 64 * kKiB);
      memory::PooledBuffer b(&m.pool, 16 * kKiB);
    }
    m.arena.Allocate(100);
    m.arena.Reset();
    done.set_value();
  });
  done.get_future().wait();
}

TEST_CASE("TrimBuffers frees idle buffers worker by worker, from another thread") {
  WorkerPool pool(2, 1u << 20);
  pool.Start();
  for (size_t i = 0; i < pool.size(); ++i) FillOnWorker(pool, i);
  memory::BufferPoolStats s = pool.BufferStats();
  CHECK(s.pooled_bytes == 2 * 64 * kKiB);
  CHECK(s.in_use_bytes == 2 * 16 * kKiB);  // the arenas' kept blocks
  CHECK(s.hits == 2);

  // The first worker's idle buffer and then its arena's block make enough: the second worker
  // is not asked.
  CHECK(pool.TrimBuffers(70 * kKiB) == 80 * kKiB);
  CHECK(pool.BufferStats().pooled_bytes == 64 * kKiB);
  // Everything: the second worker's too.
  CHECK(pool.TrimBuffers(SIZE_MAX) == 80 * kKiB);
  s = pool.BufferStats();
  CHECK(s.pooled_bytes == 0);
  CHECK(s.in_use_bytes == 0);
  CHECK(s.trimmed_bytes == 2 * 80 * kKiB);

  // Workers stopped: the trim runs inline instead of waiting for a thread that is gone.
  FillOnWorker(pool, 1);
  pool.Stop();
  pool.Join();
  CHECK(pool.TrimBuffers(SIZE_MAX) == 80 * kKiB);
}

}  // namespace
}  // namespace kmd::net
