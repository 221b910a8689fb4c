// The test support itself, run against the target: the launcher starts it on a free port,
// reports RSS and captured output, and stops it; the daemon exits 0 on SIGTERM within 5 s (the
// issue's shutdown rule, which memcached 1.6.18 also follows). RunCommand enforces its timeout.
#include <doctest/doctest.h>

#include <chrono>

#include "tests/support/daemon.h"
#include "tests/support/run_command.h"
#include "tests/support/tcp_client.h"

namespace kmd::test {
namespace {

using namespace std::chrono_literals;

TEST_CASE("launcher: starts on a free port, reports RSS, exits 0 on SIGTERM within 5 s") {
  Daemon daemon({"-m", "64"});
  CHECK(daemon.port() > 0);
  CHECK(daemon.alive());
  CHECK(daemon.rss_bytes() > 0);
  CHECK(daemon.rss_bytes() < (300ull << 20));
  {
    TcpClient c(daemon.port());
    CHECK(c.Request("version\r\n").rfind("VERSION ", 0) == 0);
  }
  const auto start = std::chrono::steady_clock::now();
  CHECK(daemon.Stop(5s));
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  INFO("output: ", daemon.stderr_text());
  CHECK(daemon.exit_code() == 0);
  CHECK_FALSE(daemon.alive());
  CHECK(daemon.rss_bytes() == 0);
}

TEST_CASE("launcher: two daemons get different ports and are independent") {
  Daemon a;
  Daemon b;
  CHECK(a.port() != b.port());
  TcpClient ca(a.port());
  TcpClient cb(b.port());
  CHECK(ca.Request("set k 0 0 1\r\na\r\n") == "STORED\r\n");
  CHECK(cb.Request("get k\r\n", "END\r\n") == "END\r\n");
}

TEST_CASE("RunCommand: collects output and exit code, kills at the deadline") {
  auto ok = RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, 5s);
  CHECK(ok.exit_code == 3);
  CHECK(ok.out == "out\n");
  CHECK(ok.err == "err\n");
  CHECK_FALSE(ok.timed_out);

  const auto start = std::chrono::steady_clock::now();
  auto hung = RunCommand({"/bin/sh", "-c", "sleep 30 & sleep 30"}, 300ms);
  CHECK(hung.timed_out);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("TcpClient: a silent peer times out instead of hanging") {
  Daemon daemon;
  TcpClient c(daemon.port());
  REQUIRE(c.SendAll("get"));  // an incomplete line: nothing will come back
  const auto start = std::chrono::steady_clock::now();
  CHECK(c.ReadUntil("\r\n", 300ms).empty());
  CHECK(c.timed_out());
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

}  // namespace
}  // namespace kmd::test
