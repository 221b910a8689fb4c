// Connection<Socket>: the read/process/write loop, for TCP and Unix stream sockets.
#include "server/net/connection.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <climits>
#include <cstring>

namespace kmd::net {

namespace asio = boost::asio;

namespace {

// Gather lists start at this many entries: one pool block (4 KiB), no growth for most batches.
constexpr size_t kInitialIovecs = memory::BufferPool::kMinClassBytes / sizeof(iovec);

// Drops the first `n` bytes of a gather list (the part a partial write already sent).
void DropFront(std::pmr::vector<asio::const_buffer>* buffers, size_t n) {
  size_t skip = 0;
  while (skip < buffers->size() && n >= (*buffers)[skip].size()) n -= (*buffers)[skip++].size();
  buffers->erase(buffers->begin(), buffers->begin() + skip);
  if (n > 0 && !buffers->empty()) buffers->front() += n;
}

}  // namespace

template <class Socket>
Connection<Socket>::Connection(Socket socket, SessionFactory& factory, ServerCounters& counters,
                               ConnectionRegistry& registry, const ConnectionLimits& limits,
                               WorkerMemory& memory)
    : socket_(std::move(socket)),
      factory_(factory),
      counters_(counters),
      registry_(registry),
      limits_(limits),
      memory_(memory),
      iov_(&memory.pool),
      buffers_(&memory.pool),
      pin_timer_(socket_.get_executor()) {}

template <class Socket>
Connection<Socket>::~Connection() {
  registry_.Remove(this);
  counters_.curr_connections.fetch_sub(1, std::memory_order_relaxed);
}

template <class Socket>
void Connection<Socket>::Start() {
  registry_.Add(this);
  boost::system::error_code ignored;
  // For the synchronous write attempt in WriteNow() and the read in OnReadable().
  socket_.non_blocking(true, ignored);
  DoRead();
}

template <class Socket>
void Connection<Socket>::Drain() {
  draining_ = true;
  if (writing_) {
    close_after_write_ = true;
  } else {
    Close();
  }
}

template <class Socket>
void Connection<Socket>::ParkIfIdle() {
  if (reads_ != reads_at_last_check_) {
    reads_at_last_check_ = reads_;
    return;
  }
  if (!waiting_with_buffer_ || parking_ || closed_) return;
  parking_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);  // OnRead sees operation_aborted and waits without the buffer
}

template <class Socket>
void Connection<Socket>::DoRead() {
  if (closed_) return;
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (capacity_ > limits_.initial_buffer) {
      // A burst (large value) grew the buffer; it goes back to the pool once empty.
      buffer_.Reset();
      capacity_ = 0;
    }
    if (buffer_.empty()) {
      // New, parked or after a burst: wait for input holding no buffer.
      socket_.async_wait(Socket::wait_read,
                         [self = this->shared_from_this()](const boost::system::error_code& ec) {
                           self->OnReadable(ec);
                         });
      return;
    }
    waiting_with_buffer_ = true;  // ParkIfIdle may take the buffer back
  }
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == capacity_) {
    // Not one complete request fits: grow up to the largest legitimate request, then give up.
    if (capacity_ >= limits_.max_buffer) {
      Close();
      return;
    }
    const size_t grown = std::min(capacity_ * 2, limits_.max_buffer);
    memory::PooledBuffer bigger(&memory_.pool, grown);
    std::memcpy(bigger.data(), buffer_.data(), end_);
    buffer_ = std::move(bigger);
    capacity_ = grown;
  }
  socket_.async_read_some(asio::buffer(buffer_.data() + end_, capacity_ - end_),
                          [self = this->shared_from_this()](const boost::system::error_code& ec,
                                                            size_t n) { self->OnRead(ec, n); });
}

template <class Socket>
void Connection<Socket>::OnReadable(const boost::system::error_code& ec) {
  if (ec || closed_) {
    Close();
    return;
  }
  ++reads_;
  buffer_ = memory::PooledBuffer(&memory_.pool, limits_.initial_buffer);
  capacity_ = limits_.initial_buffer;
  boost::system::error_code read_ec;
  const size_t n = socket_.read_some(asio::buffer(buffer_.data(), capacity_), read_ec);
  if (read_ec == asio::error::would_block || read_ec == asio::error::try_again) {
    DoRead();  // a spurious wake-up: give the buffer back and wait again
    return;
  }
  OnRead(read_ec, n);
}

template <class Socket>
void Connection<Socket>::OnRead(const boost::system::error_code& ec, size_t n) {
  waiting_with_buffer_ = false;
  if (parking_) {
    parking_ = false;
    if (ec == asio::error::operation_aborted && !closed_) {
      buffer_.Reset();  // idle: the buffer goes back to the pool, the wait goes on without it
      capacity_ = 0;
      DoRead();
      return;
    }
  }
  if (ec) {
    Close();
    return;
  }
  ++reads_;
  end_ += n;
  counters_.bytes_read.fetch_add(n, std::memory_order_relaxed);
  ProcessInput();
}

template <class Socket>
void Connection<Socket>::ProcessInput() {
  while (!closed_) {
    bool want_write = false;
    while (!close_after_write_) {
      if (swallow_ > 0) {
        size_t drop = std::min(swallow_, BufferedBytes());
        begin_ += drop;
        swallow_ -= drop;
        if (swallow_ > 0) break;
      }
      if (BufferedBytes() == 0) break;
      if (!session_) {
        session_ = factory_.Create(static_cast<uint8_t>(buffer_.data()[begin_]) == 0x80, memory_);
      }
      ProcessResult r =
          session_->Process(std::string_view(buffer_.data() + begin_, BufferedBytes()));
      begin_ += r.consumed;
      swallow_ += r.swallow;
      if (r.close) close_after_write_ = true;
      if (r.yield) {
        // Fairness (memcached -R): other connections' events run before the rest of this input.
        counters_.conn_yields.fetch_add(1, std::memory_order_relaxed);
        asio::post(socket_.get_executor(),
                   [self = this->shared_from_this()] { self->ProcessInput(); });
        return;
      }
      if (r.output_full && session_->HasOutput()) {
        want_write = true;
        break;
      }
      if (r.consumed == 0 && r.swallow == 0) break;  // needs more bytes
    }
    if (!want_write && !(session_ && session_->HasOutput())) break;
    // Written at once in the common case; otherwise OnWrite resumes this loop.
    if (!WriteNow()) return;
    if (close_after_write_) break;
  }
  if (closed_) return;
  if (close_after_write_ || draining_) {
    Close();
    return;
  }
  ReleaseWriteArrays();
  DoRead();
}

template <class Socket>
void Connection<Socket>::ReleaseWriteArrays() {
  if (writing_) return;
  std::pmr::vector<iovec>(&memory_.pool).swap(iov_);
  std::pmr::vector<asio::const_buffer>(&memory_.pool).swap(buffers_);
}

template <class Socket>
bool Connection<Socket>::WriteNow() {
  iov_.clear();
  if (iov_.capacity() == 0) iov_.reserve(kInitialIovecs);
  session_->TakeOutput(&iov_);
  size_t total = 0;
  for (const iovec& v : iov_) total += v.iov_len;
  // Try the kernel right away (one sendmsg, more only past IOV_MAX pieces): a reader that keeps
  // up takes it all, and the reply costs no completion handler, no timer and no allocation.
  // Only what it refuses is written asynchronously.
  boost::system::error_code ec;
  const size_t n = SendNow(&ec);
  counters_.bytes_written.fetch_add(n, std::memory_order_relaxed);
  if (ec) {
    session_->Written();
    Close();
    return false;
  }
  if (n == total) {
    session_->Written();
    return true;
  }
  sync_written_ = n;
  buffers_.clear();
  buffers_.reserve(std::max(iov_.size(), kInitialIovecs));
  for (const iovec& v : iov_) buffers_.emplace_back(v.iov_base, v.iov_len);
  DropFront(&buffers_, n);
  writing_ = true;
  pin_expired_ = false;
  if (session_->PinnedBytes() > 0) {
    pin_timer_.expires_after(limits_.pin_timeout);
    pin_timer_.async_wait([self = this->shared_from_this()](const boost::system::error_code& e) {
      if (!e) self->OnPinTimeout();
    });
  }
  asio::async_write(
      socket_, buffers_,
      [self = this->shared_from_this()](const boost::system::error_code& e, size_t written) {
        self->OnWrite(e, written);
      });
  return false;
}

template <class Socket>
size_t Connection<Socket>::SendNow(boost::system::error_code* ec) {
  // Straight sendmsg over iov_: Asio's write_some gathers at most 64 buffers per call, and a
  // 100-key multi-get has more than 200 pieces.
  size_t sent = 0;
  size_t first = 0;  // iov_[first] is the first piece not completely sent
  size_t skip = 0;   // bytes of it already sent
  while (first < iov_.size()) {
    const iovec saved = iov_[first];
    iov_[first].iov_base = static_cast<char*>(saved.iov_base) + skip;
    iov_[first].iov_len = saved.iov_len - skip;
    msghdr msg{};
    msg.msg_iov = iov_.data() + first;
    msg.msg_iovlen = std::min<size_t>(iov_.size() - first, IOV_MAX);
    const ssize_t n = ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL);
    iov_[first] = saved;  // WriteCopiedRest and the async path read the original pieces
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        *ec = boost::system::error_code(errno, boost::system::system_category());
      }
      break;
    }
    if (n == 0) break;
    sent += static_cast<size_t>(n);
    for (size_t left = static_cast<size_t>(n); left > 0 && first < iov_.size();) {
      const size_t here = std::min(left, iov_[first].iov_len - skip);
      left -= here;
      skip += here;
      if (skip == iov_[first].iov_len) {
        ++first;
        skip = 0;
      }
    }
    while (first < iov_.size() && iov_[first].iov_len == 0) ++first;
  }
  return sent;
}

template <class Socket>
void Connection<Socket>::OnPinTimeout() {
  if (!writing_ || closed_) return;
  pin_expired_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);  // OnWrite learns how much went out
}

template <class Socket>
void Connection<Socket>::OnWrite(const boost::system::error_code& ec, size_t n) {
  counters_.bytes_written.fetch_add(n, std::memory_order_relaxed);
  pin_timer_.cancel();
  if (ec == asio::error::operation_aborted && pin_expired_ && !closed_) {
    WriteCopiedRest(sync_written_ + n);
    return;
  }
  writing_ = false;
  session_->Written();
  if (ec) {
    Close();
    return;
  }
  copied_rest_.Reset();
  if (close_after_write_) {
    Close();
    return;
  }
  ProcessInput();
}

template <class Socket>
void Connection<Socket>::WriteCopiedRest(size_t written) {
  // The reader stalled while our output pins item memory: copy the unsent rest (if small) and
  // release the items, or give up on the client.
  size_t total = 0;
  for (const iovec& v : iov_) total += v.iov_len;
  size_t rest = total - written;
  const bool refused = limits_.pressure != nullptr && limits_.pressure->over_limit();
  if (refused) counters_.copies_refused.fetch_add(1, std::memory_order_relaxed);
  if (rest > limits_.max_copy_on_stall || refused) {
    writing_ = false;
    session_->Written();
    Close();
    return;
  }
  copied_rest_ = memory::PooledBuffer(&memory_.pool, rest);
  size_t skip = written;
  size_t copied = 0;
  for (const iovec& v : iov_) {
    if (skip >= v.iov_len) {
      skip -= v.iov_len;
      continue;
    }
    std::memcpy(copied_rest_.data() + copied, static_cast<const char*>(v.iov_base) + skip,
                v.iov_len - skip);
    copied += v.iov_len - skip;
    skip = 0;
  }
  counters_.copied_bytes.fetch_add(copied_rest_.size(), std::memory_order_relaxed);
  session_->Written();
  pin_expired_ = false;
  asio::async_write(
      socket_, asio::buffer(copied_rest_.data(), rest),
      [self = this->shared_from_this()](const boost::system::error_code& ec, size_t n) {
        self->counters_.bytes_written.fetch_add(n, std::memory_order_relaxed);
        self->writing_ = false;
        self->counters_.copied_bytes.fetch_sub(self->copied_rest_.size(),
                                               std::memory_order_relaxed);
        self->copied_rest_.Reset();
        if (ec || self->close_after_write_) {
          self->Close();
          return;
        }
        self->ProcessInput();
      });
}

template <class Socket>
void Connection<Socket>::Abort() {
  // The write handler still owns copied_rest_ until it runs with operation_aborted.
  if (!copied_rest_.empty()) counters_.copies_shrunk.fetch_add(1, std::memory_order_relaxed);
  close_after_write_ = true;
  Close();
}

template <class Socket>
void Connection<Socket>::Close() {
  if (closed_) return;
  closed_ = true;
  pin_timer_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
}

template class Connection<asio::ip::tcp::socket>;
template class Connection<asio::local::stream_protocol::socket>;

}  // namespace kmd::net
