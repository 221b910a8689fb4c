// The seam between the network layer and the protocol handlers: net owns sockets and buffers,
// a Session (implemented in server/dispatch) turns input bytes into pending output.
// Thread-safety: a Session is used only on its connection's worker thread.
// Contract: Process() consumes whole requests only; output memory handed out by TakeOutput()
// stays valid (items stay pinned) until Written() is called. A session takes its buffers from
// its worker's WorkerMemory (given to the factory), which outlives it.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <memory_resource>
#include <string_view>
#include <vector>

#include "core/memory/buffer_pool.h"
#include "server/net/worker_memory.h"

namespace kmd::net {

struct ProcessResult {
  size_t consumed = 0;       // bytes of input fully handled
  size_t swallow = 0;        // further bytes to discard after `consumed` (value of a rejected set)
  bool close = false;        // close after writing pending output (quit, unrecoverable stream)
  bool output_full = false;  // stopped early: write pending output, then call Process again
  bool yield = false;        // served its per-read budget (-R): let other connections run first
};

class Session {
 public:
  virtual ~Session() = default;
  // Parses and executes every complete request in `input` (pipelining).
  virtual ProcessResult Process(std::string_view input) = 0;
  virtual bool HasOutput() const = 0;
  // Moves pending output into the in-flight set and appends its iovecs.
  virtual void TakeOutput(std::pmr::vector<iovec>* iov) = 0;
  // The in-flight output has been written completely: release pins and scratch.
  virtual void Written() = 0;
  // Bytes of item memory the in-flight output pins (zero-copy values).
  virtual size_t PinnedBytes() const = 0;
};

// Figures the network layer keeps for `stats` (read by dispatch, written by net).
struct ServerCounters {
  std::atomic<uint64_t> curr_connections{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> conn_yields{0};
  // Stalled readers' output copied out of item memory (connection.h): bytes held now, copies
  // refused because RSS was over memory.rss_limit, connections closed to free their copy.
  std::atomic<uint64_t> copied_bytes{0};
  std::atomic<uint64_t> copies_refused{0};
  std::atomic<uint64_t> copies_shrunk{0};
  int64_t started_at = 0;  // Unix seconds
  uint32_t threads = 0;
  uint32_t max_connections = 0;
  // The workers' buffer pools summed (set by NetServer; empty: no server, all zero). Any thread.
  std::function<memory::BufferPoolStats()> buffer_stats;
};

class SessionFactory {
 public:
  virtual ~SessionFactory() = default;
  // Called on the worker thread once the first byte shows the protocol (0x80 = binary);
  // `memory` is that worker's.
  virtual std::unique_ptr<Session> Create(bool binary, WorkerMemory& memory) = 0;
};

}  // namespace kmd::net
