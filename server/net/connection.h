// One client connection: owns its socket, read buffer and Session; lives on one worker.
// Loop: read -> Process every complete request -> one gathered write -> (more input? process)
// -> read. It never reads while a write is in flight, so a client that stops reading stops being
// read (TCP backpressure) and its pending output stays bounded by the Session's soft limit.
// A write that pins item memory and does not finish within kPinTimeout has its rest copied into
// the connection (if small) or the connection is closed, so a stalled reader cannot pin items.
// Lifetime: shared_ptr held by the pending async operation; the registry holds a raw pointer
// that the connection removes on destruction (both on the worker thread).
// Memory: the read buffer, iovec arrays and stall copy are borrowed from the worker's pool. An
// active connection keeps its read buffer between requests (Asio's speculative read then costs
// no extra system call); one that has read nothing for a whole park interval is parked: its
// read is cancelled, the buffer goes back to the pool and it waits for readability holding none,
// borrowing again when input arrives (memcached's idle conn_shrink).
#pragma once

#include <sys/uio.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <memory_resource>
#include <vector>

#include "core/base/shrinker.h"
#include "core/memory/buffer_pool.h"
#include "server/net/connection_registry.h"
#include "server/net/session.h"
#include "server/net/worker_memory.h"

namespace kmd::net {

struct ConnectionLimits {
  size_t initial_buffer = 16 * 1024;
  size_t max_buffer = (1u << 20) + 64 * 1024;  // one maximal request must fit (set with -I value)
  std::chrono::milliseconds pin_timeout{5000};
  size_t max_copy_on_stall = 1u << 20;
  // Admission (memory.rss_limit): while it reads over_limit, a stalled reader's output is not
  // copied at all: the connection is closed (counted in copies_refused). Null: no RSS limit.
  const base::MemoryPressure* pressure = nullptr;
  // A connection that reads nothing for a whole interval gives its read buffer back.
  std::chrono::milliseconds park_after{1000};
};

template <class Socket>
class Connection final : public std::enable_shared_from_this<Connection<Socket>>,
                         public ConnectionHandle {
 public:
  Connection(Socket socket, SessionFactory& factory, ServerCounters& counters,
             ConnectionRegistry& registry, const ConnectionLimits& limits, WorkerMemory& memory);
  ~Connection() override;

  void Start();
  // Graceful shutdown: finish what was read, write it, then close (worker thread only).
  void Drain() override;
  size_t CopiedBytes() const override { return copied_rest_.size(); }
  void Abort() override;
  // Called every park interval (worker thread): parks the connection if it read nothing since
  // the previous call and waits for input with an empty buffer.
  void ParkIfIdle() override;

 private:
  void DoRead();
  // The socket became readable while the connection held no buffer: borrow one and read.
  void OnReadable(const boost::system::error_code& ec);
  void OnRead(const boost::system::error_code& ec, size_t n);
  // Runs the session over buffered input until it needs more bytes or output must be written.
  void ProcessInput();
  // Hands pending output to the socket; true when all of it went out synchronously.
  bool WriteNow();
  // Sends what the kernel takes now of iov_ (non-blocking); sets `ec` on a hard error.
  size_t SendNow(boost::system::error_code* ec);
  void OnWrite(const boost::system::error_code& ec, size_t n);
  void OnPinTimeout();
  void WriteCopiedRest(size_t written);
  void Close();
  size_t BufferedBytes() const { return end_ - begin_; }
  // Gives the iovec arrays back to the pool once no write needs them.
  void ReleaseWriteArrays();

  Socket socket_;
  SessionFactory& factory_;
  ServerCounters& counters_;
  ConnectionRegistry& registry_;
  const ConnectionLimits& limits_;
  WorkerMemory& memory_;
  std::unique_ptr<Session> session_;
  memory::PooledBuffer buffer_;  // empty while waiting for input with nothing buffered
  size_t capacity_ = 0;          // usable bytes of buffer_ (at most limits_.max_buffer)
  size_t begin_ = 0;
  size_t end_ = 0;
  size_t swallow_ = 0;
  std::pmr::vector<iovec> iov_;
  std::pmr::vector<boost::asio::const_buffer> buffers_;
  size_t sync_written_ = 0;  // bytes of the in-flight output the synchronous attempt sent
  memory::PooledBuffer copied_rest_;
  boost::asio::steady_timer pin_timer_;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool draining_ = false;
  bool closed_ = false;
  bool pin_expired_ = false;
  bool waiting_with_buffer_ = false;  // an async read into buffer_ with nothing buffered
  bool parking_ = false;              // that read was cancelled to give the buffer back
  uint64_t reads_ = 0;
  uint64_t reads_at_last_check_ = 0;
};

}  // namespace kmd::net
