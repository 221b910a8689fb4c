// WorkerMemory: what one worker owns for its connections (DESIGN.md "Buffers come from per-worker
// object pools"): a BufferPool for read buffers, output scratch, stall copies and iovec arrays,
// and the BatchArena its sessions fill with one batch's temporary data and reset after it.
// Thread-safety: used on its worker's thread only (the pool and arena are single-threaded by
// design); stats() may be read from any thread. Another thread trims through WorkerPool.
#pragma once

#include <cstddef>

#include "core/memory/batch_arena.h"
#include "core/memory/buffer_pool.h"

namespace kmd::net {

struct WorkerMemory {
  // Idle bytes a worker's pool keeps by default (connections.buffer_pool_bytes).
  static constexpr size_t kDefaultPoolBytes = 4u << 20;

  explicit WorkerMemory(size_t max_pooled_bytes) : pool(max_pooled_bytes), arena(&pool) {}

  // Frees idle buffers until `bytes` are freed: the pool's first, then the arena's kept block
  // (only between batches, which is whenever the worker runs anything but a session). Worker
  // thread only; returns the bytes freed.
  size_t Trim(size_t bytes) {
    size_t freed = pool.Trim(bytes);
    if (freed < bytes && arena.used_bytes() == 0 && arena.Release() > 0) {
      freed += pool.Trim(bytes - freed);
    }
    return freed;
  }

  memory::BufferPool pool;  // declared first: the arena's blocks come from it
  memory::BatchArena arena;
};

}  // namespace kmd::net
