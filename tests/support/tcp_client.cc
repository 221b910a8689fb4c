// TcpClient over a non-blocking loopback socket; all waiting happens in poll() with the
// remaining time to a deadline, never in a blocking read or write.
#include "tests/support/tcp_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace kmd::test {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

TcpClient::TcpClient(int port, milliseconds timeout) {
  if (!Connect(port, timeout)) {
    throw std::runtime_error("TcpClient: connect to port " + std::to_string(port) + ": " + error_);
  }
}

TcpClient::~TcpClient() { Close(); }

TcpClient::TcpClient(TcpClient&& other) noexcept { *this = std::move(other); }

TcpClient& TcpClient::operator=(TcpClient&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    rx_ = std::move(other.rx_);
    closed_ = other.closed_;
    timed_out_ = other.timed_out_;
    error_ = std::move(other.error_);
  }
  return *this;
}

void TcpClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool TcpClient::Connect(int port, milliseconds timeout) {
  Close();
  rx_.clear();
  closed_ = timed_out_ = false;
  error_.clear();
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return true;
  if (errno != EINPROGRESS) {
    error_ = std::string("connect: ") + std::strerror(errno);
    Close();
    return false;
  }
  pollfd p{fd_, POLLOUT, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
    error_ = "connect: timed out";
    timed_out_ = true;
    Close();
    return false;
  }
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    error_ = std::string("connect: ") + std::strerror(err);
    Close();
    return false;
  }
  return true;
}

bool TcpClient::Fill(Clock::time_point deadline) {
  if (fd_ < 0 || closed_) return false;
  char buf[65536];
  while (true) {
    ssize_t r = recv(fd_, buf, sizeof(buf), 0);
    if (r > 0) {
      rx_.append(buf, static_cast<size_t>(r));
      return true;
    }
    if (r == 0) {
      closed_ = true;
      error_ = "peer closed the connection";
      return false;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      closed_ = true;
      error_ = std::string("recv: ") + std::strerror(errno);
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    int n = poll(&p, 1, RemainingMs(deadline));
    if (n == 0) {
      timed_out_ = true;
      error_ = "timed out waiting for data";
      return false;
    }
    if (n < 0 && errno != EINTR) {
      error_ = std::string("poll: ") + std::strerror(errno);
      return false;
    }
  }
}

bool TcpClient::SendAll(std::string_view data, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  while (sent < data.size()) {
    if (fd_ < 0) return false;
    ssize_t w = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (w > 0) {
      sent += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      error_ = std::string("send: ") + std::strerror(errno);
      closed_ = true;
      return false;
    }
    pollfd p{fd_, static_cast<short>(POLLOUT | (closed_ ? 0 : POLLIN)), 0};
    int n = poll(&p, 1, RemainingMs(deadline));
    if (n == 0) {
      timed_out_ = true;
      error_ = "timed out sending";
      return false;
    }
    if (n > 0 && (p.revents & POLLIN) != 0) {
      char buf[65536];
      ssize_t r = recv(fd_, buf, sizeof(buf), 0);
      if (r > 0) rx_.append(buf, static_cast<size_t>(r));
      if (r == 0) closed_ = true;
    }
  }
  return true;
}

size_t TcpClient::SendSome(std::string_view data, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  while (sent < data.size() && fd_ >= 0) {
    ssize_t w = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (w > 0) {
      sent += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      error_ = std::string("send: ") + std::strerror(errno);
      break;
    }
    pollfd p{fd_, POLLOUT, 0};
    if (poll(&p, 1, RemainingMs(deadline)) <= 0) break;
  }
  return sent;
}

std::string TcpClient::ReadUntil(std::string_view delim, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t scan_from = 0;
  while (true) {
    size_t pos = rx_.find(delim, scan_from);
    if (pos != std::string::npos) {
      std::string out = rx_.substr(0, pos + delim.size());
      rx_.erase(0, pos + delim.size());
      return out;
    }
    scan_from = rx_.size() >= delim.size() ? rx_.size() - delim.size() + 1 : 0;
    if (!Fill(deadline)) return "";
  }
}

std::string TcpClient::ReadExact(size_t n, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (rx_.size() < n) {
    if (!Fill(deadline)) return "";
  }
  std::string out = rx_.substr(0, n);
  rx_.erase(0, n);
  return out;
}

std::string TcpClient::ReadUpTo(size_t n, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (rx_.size() < n && Fill(deadline)) {
  }
  std::string out = rx_.substr(0, std::min(n, rx_.size()));
  rx_.erase(0, out.size());
  return out;
}

std::string TcpClient::ReadAll(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Fill(deadline)) {
  }
  return std::exchange(rx_, std::string());
}

std::string TcpClient::ReadBinaryPacket(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (rx_.size() < 24) {
    if (!Fill(deadline)) return "";
  }
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(rx_[i])); };
  const size_t body = (b(8) << 24) | (b(9) << 16) | (b(10) << 8) | b(11);
  while (rx_.size() < 24 + body) {
    if (!Fill(deadline)) return "";
  }
  std::string out = rx_.substr(0, 24 + body);
  rx_.erase(0, 24 + body);
  return out;
}

std::string TcpClient::Request(std::string_view request, std::string_view delim,
                               milliseconds timeout) {
  if (!SendAll(request, timeout)) return "";
  return ReadUntil(delim, timeout);
}

bool TcpClient::WaitClosed(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Fill(deadline)) {
  }
  return closed_;
}

std::map<std::string, std::string> TextStats(TcpClient& c, const std::string& group) {
  const std::string reply =
      c.Request(group.empty() ? "stats\r\n" : "stats " + group + "\r\n", "END\r\n");
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (true) {
    const size_t end = reply.find("\r\n", pos);
    if (end == std::string::npos) break;
    const std::string line = reply.substr(pos, end - pos);
    pos = end + 2;
    if (line.rfind("STAT ", 0) != 0) continue;
    const size_t sp = line.find(' ', 5);
    out[line.substr(5, sp - 5)] = line.substr(sp + 1);
  }
  return out;
}

bool StoreItems(TcpClient& c, int first, int count, size_t size) {
  const std::string value(size, 'x');
  std::string batch;
  for (int i = first; i < first + count; ++i) {
    batch += "set key:" + std::to_string(i) + " 0 0 " + std::to_string(size) + " noreply\r\n";
    batch.append(value).append("\r\n");
    if (batch.size() > (256u << 10) || i + 1 == first + count) {
      batch += "mn\r\n";
      if (c.Request(batch, "MN\r\n") != "MN\r\n") return false;
      batch.clear();
    }
  }
  return true;
}

}  // namespace kmd::test
