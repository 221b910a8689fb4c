// TcpClient: a small blocking-style TCP client for tests, built on a non-blocking socket and
// poll() so every call has a deadline. Bytes received but not yet consumed stay in an internal
// buffer. One owner, not thread-safe. Failures never throw after Connect: reads return what
// arrived and record why they stopped (timed_out() / closed() / error()).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace kmd::test {

using std::chrono::milliseconds;

inline constexpr milliseconds kIoTimeout{5000};

class TcpClient {
 public:
  TcpClient() = default;
  // Connects to 127.0.0.1:port; throws std::runtime_error if that fails within `timeout`.
  explicit TcpClient(int port, milliseconds timeout = kIoTimeout);
  ~TcpClient();
  TcpClient(TcpClient&& other) noexcept;
  TcpClient& operator=(TcpClient&& other) noexcept;
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  // Non-throwing connect; returns false (and error()) on failure.
  bool Connect(int port, milliseconds timeout = kIoTimeout);
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Writes all of `data`. While the peer does not accept more, received bytes are drained into
  // the internal buffer so a large pipeline cannot deadlock against its own responses.
  bool SendAll(std::string_view data, milliseconds timeout = kIoTimeout);

  // Writes what the kernel takes within `timeout` without reading anything back; returns the
  // number of bytes written (for clients that deliberately never read).
  size_t SendSome(std::string_view data, milliseconds timeout);

  // Returns bytes up to and including the first `delim`. On timeout or close returns "" and
  // leaves the partial bytes buffered (see buffered()).
  std::string ReadUntil(std::string_view delim, milliseconds timeout = kIoTimeout);
  // Returns exactly n bytes, or "" on timeout/close (partial bytes stay buffered).
  std::string ReadExact(size_t n, milliseconds timeout = kIoTimeout);
  // Reads until `n` bytes are buffered or the deadline; returns and consumes what is there.
  std::string ReadUpTo(size_t n, milliseconds timeout);
  // Everything that arrives until the peer closes or `timeout` passes.
  std::string ReadAll(milliseconds timeout);

  // A complete memcached binary packet: 24-byte header plus the body length it declares.
  std::string ReadBinaryPacket(milliseconds timeout = kIoTimeout);

  // Sends `request`, then ReadUntil(delim).
  std::string Request(std::string_view request, std::string_view delim = "\r\n",
                      milliseconds timeout = kIoTimeout);

  // True if the peer closes (EOF or reset) within `timeout`; bytes arriving meanwhile are
  // buffered, not an error.
  bool WaitClosed(milliseconds timeout);

  const std::string& buffered() const { return rx_; }
  bool closed() const { return closed_; }
  bool timed_out() const { return timed_out_; }
  const std::string& error() const { return error_; }

  void Close();

 private:
  // Waits for readability until the deadline and appends what arrives; false on timeout/EOF.
  bool Fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string rx_;
  bool closed_ = false;
  bool timed_out_ = false;
  std::string error_;
};

// `stats [group]` over the text protocol, as name -> value.
std::map<std::string, std::string> TextStats(TcpClient& c, const std::string& group = "");

// Stores `count` values of `size` 'x' bytes as key:<first> .. key:<first + count - 1> over the
// text protocol, pipelined with noreply in batches of about 256 KiB, each closed by `mn`. False
// if a batch's MN does not come back.
bool StoreItems(TcpClient& c, int first, int count, size_t size);

}  // namespace kmd::test
