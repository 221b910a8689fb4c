// BufferPoolShrinker: the workers' idle pooled buffers and kept arena blocks (worker_memory.h) as
// a shrinker for the RSS controller (core/base/shrinker.h). Shrink runs WorkerPool::TrimBuffers,
// which trims on each worker and waits for them briefly; the freed bytes go back to malloc, and
// the controller's allocator purge returns them to the OS.
// Thread-safety: HeldBytes/Shrink from any thread. Priority 5: before the stalled readers' copies
// (trimming idle buffers costs no client its connection).
#pragma once

#include "core/base/shrinker.h"
#include "server/net/worker_pool.h"

namespace kmd::net {

class BufferPoolShrinker final : public base::Shrinker {
 public:
  explicit BufferPoolShrinker(WorkerPool& pool) : pool_(pool) {}

  std::string_view name() const override { return "buffer_pools"; }
  int priority() const override { return 5; }
  uint64_t HeldBytes() const override { return pool_.BufferStats().pooled_bytes; }
  uint64_t Shrink(uint64_t bytes) override { return pool_.TrimBuffers(bytes); }

 private:
  WorkerPool& pool_;
};

}  // namespace kmd::net
