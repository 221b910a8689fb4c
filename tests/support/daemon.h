// Daemon: the daemon under test (kotoba-memd, or memcached when KMD_TEST_TARGET=memcached) as a
// child process (child_process.h) on a free loopback port. The object owns the process: its
// destructor stops it (SIGTERM, then SIGKILL after 5 s) and removes the captured-output file. Not
// thread-safe; one owner. Every wait is bounded, so a daemon that hangs fails the test rather
// than the suite.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace kmd::test {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back).
int FreePort();

// True when KMD_TEST_TARGET=memcached: tests run against /usr/bin/memcached (or
// KMD_MEMCACHED_PATH) instead of our daemon, to prove each test is sound on the reference.
bool TargetIsMemcached();

// The executable under test: KMD_DAEMON env var, else the path CMake compiled in.
std::string TargetPath();

// A short label for messages: "memcached" or "kotoba-memd".
std::string TargetName();

class Daemon {
 public:
  // Starts the target as `<path> -p PORT -l 127.0.0.1 -U 0 [-u root] <extra_args...>` and waits
  // until it accepts TCP on PORT. Throws std::runtime_error (with the daemon's output) if it
  // exits or does not accept within `start_timeout`. Retries a few ports if one was taken.
  explicit Daemon(std::vector<std::string> extra_args = {},
                  std::chrono::milliseconds start_timeout = std::chrono::seconds(10));
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return child_.pid(); }
  // "127.0.0.1:PORT", the form libmemcached's --servers takes.
  std::string server() const;

  // Whether the process is still running (reaps it if it has exited).
  bool alive() { return child_.alive(); }
  // How it ended: exit code, or -1 while running / when killed by a signal.
  int exit_code() const { return child_.exit_code(); }
  int term_signal() const { return child_.term_signal(); }

  // Resident set size from /proc/PID/status (VmRSS); 0 if the process is gone.
  uint64_t rss_bytes() const;

  // Everything the daemon wrote to stderr and stdout so far.
  std::string stderr_text() const { return child_.output(); }
  // The first log line containing `needle` (e.g. the port a listener picked); "" on timeout.
  std::string WaitForLog(std::string_view needle,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return child_.WaitForLine(needle, timeout);
  }

  // SIGTERM, wait up to `grace`, then SIGKILL. Returns true if it exited within the grace
  // period. Idempotent.
  bool Stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    return child_.Stop(grace);
  }

 private:
  bool TryStart(const std::vector<std::string>& extra_args, std::chrono::milliseconds timeout,
                std::string* why, bool* retry);

  int port_ = 0;
  ChildProcess child_;
};

}  // namespace kmd::test
