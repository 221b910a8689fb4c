// Daemon and FreePort. Starting, stopping and capturing the daemon is ChildProcess's job; this
// file picks the port, builds the command line and waits until the daemon accepts.
#include "tests/support/daemon.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef KMD_DAEMON_PATH
#define KMD_DAEMON_PATH "kotoba-memd"
#endif

namespace kmd::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kDefaultMemcached = "/usr/bin/memcached";
constexpr int kStartAttempts = 3;

// One non-blocking connect to 127.0.0.1:port, bounded by `timeout`.
bool CanConnect(int port, std::chrono::milliseconds timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  int r = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  if (r == 0) {
    ok = true;
  } else if (errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      ok = err == 0;
    }
  }
  close(fd);
  return ok;
}

}  // namespace

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("FreePort: socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int e = errno;
    close(fd);
    throw std::runtime_error(std::string("FreePort: ") + std::strerror(e));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

bool TargetIsMemcached() {
  const char* t = std::getenv("KMD_TEST_TARGET");
  return t != nullptr && std::string(t) == "memcached";
}

std::string TargetPath() {
  if (TargetIsMemcached()) {
    const char* p = std::getenv("KMD_MEMCACHED_PATH");
    return p != nullptr ? p : kDefaultMemcached;
  }
  const char* p = std::getenv("KMD_DAEMON");
  return p != nullptr ? p : KMD_DAEMON_PATH;
}

std::string TargetName() { return TargetIsMemcached() ? "memcached" : "kotoba-memd"; }

Daemon::Daemon(std::vector<std::string> extra_args, std::chrono::milliseconds start_timeout) {
  std::string why;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    bool retry = false;
    if (TryStart(extra_args, start_timeout, &why, &retry)) return;
    if (!retry) break;
  }
  throw std::runtime_error("Daemon: could not start " + TargetPath() + ": " + why);
}

bool Daemon::TryStart(const std::vector<std::string>& extra_args, std::chrono::milliseconds timeout,
                      std::string* why, bool* retry) {
  if (access(TargetPath().c_str(), X_OK) != 0) {
    *why = "not an executable file (build it, or set KMD_TEST_TARGET=memcached)";
    return false;
  }
  port_ = FreePort();
  std::vector<std::string> argv = {TargetPath(), "-p", std::to_string(port_), "-l", "127.0.0.1",
                                   "-U",         "0"};
  // memcached refuses to run as root without -u; our daemon accepts the same flag.
  if (TargetIsMemcached() && geteuid() == 0) {
    argv.push_back("-u");
    argv.push_back("root");
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  try {
    child_ = ChildProcess(argv);
  } catch (const std::exception& e) {
    *why = e.what();
    return false;
  }

  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (!alive()) {
      // An early exit is typically the port taken between FreePort and bind: worth another
      // port. A daemon that never accepts would only burn the timeout again.
      *retry = exit_code() != 127;
      *why = "exited during start-up (exit_code=" + std::to_string(exit_code()) +
             ", signal=" + std::to_string(term_signal()) + ") output:\n" + stderr_text();
      return false;
    }
    if (CanConnect(port_, std::chrono::milliseconds(200))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  *why = "did not accept TCP on port " + std::to_string(port_) + " within " +
         std::to_string(timeout.count()) + " ms; output:\n" + stderr_text();
  Stop(std::chrono::milliseconds(500));
  return false;
}

Daemon::~Daemon() { Stop(); }

std::string Daemon::server() const { return "127.0.0.1:" + std::to_string(port_); }

uint64_t Daemon::rss_bytes() const {
  if (!child_.running()) return 0;
  std::ifstream in("/proc/" + std::to_string(child_.pid()) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      uint64_t kb = 0;
      fields >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

}  // namespace kmd::test
