// What every protocol session shares: the daemon context, its worker's memory (buffer pool and
// batch arena) and the connection's OutputBuffer, with the net::Session output contract
// implemented once over it. Subclasses parse and execute.
// Thread-safety: one connection's worker thread only (net::Session contract).
#pragma once

#include <sys/uio.h>

#include <memory>
#include <memory_resource>
#include <vector>

#include "server/dispatch/dispatch_context.h"
#include "server/dispatch/output_buffer.h"
#include "server/net/session.h"
#include "server/net/worker_memory.h"

namespace kmd::dispatch {

class ProtocolSession : public net::Session {
 public:
  bool HasOutput() const final { return !out_.empty(); }
  void TakeOutput(std::pmr::vector<iovec>* iov) final { out_.Take(iov); }
  void Written() final { out_.Written(); }
  size_t PinnedBytes() const final { return out_.pinned_bytes(); }

 protected:
  // Sessions are created on their connection's worker thread, whose latency shard and memory
  // they keep. `memory` null (a session outside a server, as in tests): the session owns one.
  ProtocolSession(DispatchContext& ctx, net::WorkerMemory* memory)
      : own_memory_(memory != nullptr ? nullptr
                                      : std::make_unique<net::WorkerMemory>(
                                            net::WorkerMemory::kDefaultPoolBytes)),
        memory_(memory != nullptr ? *memory : *own_memory_),
        ctx_(ctx),
        out_(&memory_.pool),
        laps_(ctx.latency != nullptr ? ctx.latency->ShardForThisThread() : nullptr) {}

  // One batch's temporary data (reset when Process() returns).
  memory::BatchArena& arena() { return memory_.arena; }
  // Checked before each request of a read: stop when the pending output is past its soft limit
  // (the connection writes first: bounded output) or when `served` requests have used up the -R
  // budget (memcached's reqs_per_event: other connections go first; the output still leaves in
  // one write). Says which in `result`.
  bool MustPause(size_t served, net::ProcessResult* result) const {
    if (out_.pending_bytes() > OutputBuffer::kSoftLimitBytes) {
      result->output_full = true;
      return true;
    }
    if (served >= ctx_.reqs_per_event) {
      result->yield = true;
      return true;
    }
    return false;
  }

  std::unique_ptr<net::WorkerMemory> own_memory_;  // before out_, which borrows from it
  net::WorkerMemory& memory_;
  DispatchContext& ctx_;
  OutputBuffer out_;
  // Process() starts a lap before the first request and after a rejected one, and ends one after
  // each executed request.
  LatencyLaps laps_;
};

}  // namespace kmd::dispatch
