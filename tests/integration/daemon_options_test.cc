// The daemon's operating surface with the real binary: bad configuration exits 2 naming the key,
// --check-config, YAML + flag precedence, -s/-a unix socket, -u privilege drop, -c cap with the
// rejected count in stats, -d/-P daemon mode. Runs against kotoba-memd only (memcached's
// configuration surface is different by design), skipped when KMD_TEST_TARGET=memcached.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "tests/support/daemon.h"
#include "tests/support/run_command.h"
#include "tests/support/tcp_client.h"

namespace kmd::test {
namespace {

using namespace std::chrono_literals;

std::string TempPath(const std::string& name) {
  return "/tmp/kmd-opt-" + std::to_string(getpid()) + "-" + name;
}

std::map<std::string, std::string> Stats(TcpClient& c, const std::string& group = "") {
  return TextStats(c, group);
}

CommandResult RunDaemon(std::vector<std::string> args) {
  args.insert(args.begin(), TargetPath());
  return RunCommand(args, 10s);
}

TEST_CASE("options: bad configuration exits 2 naming the key, the value and what is allowed") {
  if (TargetIsMemcached()) return;
  auto bad_memory = RunDaemon({"-m", "lots"});
  CHECK(bad_memory.exit_code == 2);
  CHECK(bad_memory.err.find("lots") != std::string::npos);

  auto item_too_big = RunDaemon({"-m", "64", "-I", "64m"});
  INFO(Describe(item_too_big));
  CHECK(item_too_big.exit_code == 2);
  CHECK(item_too_big.err.find("-I") != std::string::npos);

  auto unknown_flag = RunDaemon({"--no-such-flag"});
  CHECK(unknown_flag.exit_code == 2);
  CHECK(unknown_flag.err.find("--no-such-flag") != std::string::npos);

  std::string yaml = TempPath("bad.yaml");
  std::ofstream(yaml) << "memory:\n  limit: 64MiB\n  colour: blue\n";
  auto unknown_key = RunDaemon({"--config", yaml});
  CHECK(unknown_key.exit_code == 2);
  CHECK(unknown_key.err.find("memory.colour") != std::string::npos);

  auto bad_policy = RunDaemon({"--eviction-policy", "arc"});
  CHECK(bad_policy.exit_code == 2);
  CHECK(bad_policy.err.find("eviction.policy") != std::string::npos);
  CHECK(bad_policy.err.find("\"arc\"") != std::string::npos);
  CHECK(bad_policy.err.find("adaptive,lru,lfu,fifo,s3fifo,sieve,wtinylfu") != std::string::npos);

  auto missing_file = RunDaemon({"--config", TempPath("absent.yaml")});
  CHECK(missing_file.exit_code == 2);
  CHECK(missing_file.err.find("absent.yaml") != std::string::npos);
  std::remove(yaml.c_str());
}

TEST_CASE("options: --check-config accepts a good file; a flag overrides the file") {
  if (TargetIsMemcached()) return;
  std::string yaml = TempPath("good.yaml");
  std::ofstream(yaml) << "memory:\n  limit: 32MiB\nitems:\n  max_size: 2m\n";
  auto check = RunDaemon({"--config", yaml, "--check-config"});
  INFO(Describe(check));
  CHECK(check.exit_code == 0);

  Daemon from_file({"--config", yaml});
  TcpClient c1(from_file.port());
  auto s1 = Stats(c1);
  CHECK(s1["limit_maxbytes"] == std::to_string(32u << 20));

  Daemon overridden({"--config", yaml, "-m", "48"});
  TcpClient c2(overridden.port());
  auto s2 = Stats(c2);
  CHECK(s2["limit_maxbytes"] == std::to_string(48u << 20));
  auto settings = Stats(c2, "settings");
  CHECK(settings["item_size_max"] == std::to_string(2u << 20));
  std::remove(yaml.c_str());
}

TEST_CASE("options: -s serves a unix socket with the -a mode") {
  if (TargetIsMemcached()) return;
  std::string path = TempPath("sock");
  pid_t pid = fork();
  if (pid == 0) {
    execl(TargetPath().c_str(), TargetPath().c_str(), "-s", path.c_str(), "-a", "0766",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  struct stat st {};
  for (int i = 0; i < 200 && stat(path.c_str(), &st) != 0; ++i) std::this_thread::sleep_for(20ms);
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0766);

  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  std::string request = "set u 0 0 2\r\nhi\r\nget u\r\n";
  REQUIRE(write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string reply;
  char buf[256];
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  while (reply.find("END\r\n") == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    reply.append(buf, n);
  }
  close(fd);
  CHECK(reply == "STORED\r\nVALUE u 0 2\r\nhi\r\nEND\r\n");

  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(stat(path.c_str(), &st) != 0);  // removed on exit
}

TEST_CASE("options: -u drops root privileges after binding") {
  if (TargetIsMemcached() || geteuid() != 0) return;
  Daemon daemon({"-u", "nobody"});
  // The port accepts as soon as it listens; the rest of start-up (the metrics listener, the pid
  // file) and the privilege drop come a moment later.
  std::string uid_line;
  for (int i = 0; i < 250 && uid_line.find("65534") == std::string::npos; ++i) {
    if (i > 0) std::this_thread::sleep_for(20ms);
    std::ifstream status("/proc/" + std::to_string(daemon.pid()) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("Uid:", 0) == 0) uid_line = line;
    }
  }
  CHECK(uid_line.find("65534") != std::string::npos);
  TcpClient c(daemon.port());
  CHECK(c.Request("version\r\n").rfind("VERSION ", 0) == 0);
}

TEST_CASE("options: -c caps connections, answers the excess with an error, counts it") {
  if (TargetIsMemcached()) return;
  // Like memcached, the daemon's own descriptors count against -c: with -c 24 and two workers,
  // fewer than 24 clients get in; the rest get memcached's error line and are closed.
  Daemon daemon({"-c", "24", "-t", "2"});
  std::vector<TcpClient> clients;
  int accepted = 0;
  int rejected = 0;
  for (int i = 0; i < 24; ++i) {
    clients.emplace_back(daemon.port());
    std::string reply = clients.back().Request("version\r\n");
    if (reply.rfind("VERSION ", 0) == 0) {
      ++accepted;
    } else {
      CHECK(reply == "ERROR Too many open connections\r\n");
      CHECK(clients.back().WaitClosed(2s));
      ++rejected;
    }
  }
  CHECK(accepted > 0);
  CHECK(accepted < 24);
  CHECK(rejected == 24 - accepted);
  clients.clear();
  std::this_thread::sleep_for(200ms);
  TcpClient again(daemon.port());
  auto stats = Stats(again);
  CHECK(stats["rejected_connections"] == std::to_string(rejected));
  CHECK(stats["max_connections"] == "24");
}

TEST_CASE("options: -M answers out of memory instead of evicting (memcached t/dash-M.t)") {
  if (TargetIsMemcached()) return;
  Daemon daemon({"-M", "-m", "2"});
  TcpClient c(daemon.port());
  const std::string value(8192, 'B');
  int stored = 0;
  std::string reply = "STORED\r\n";
  while (reply == "STORED\r\n" && stored < 10000) {
    reply = c.Request("set dash" + std::to_string(stored) + " 0 0 8192\r\n" + value + "\r\n");
    if (reply == "STORED\r\n") ++stored;
  }
  CHECK(reply == "SERVER_ERROR out of memory storing object\r\n");
  CHECK(stored > 0);
  CHECK(c.Request("set dashx 0 0 8192\r\n" + value + "\r\n") ==
        "SERVER_ERROR out of memory storing object\r\n");
  auto stats = Stats(c);
  CHECK(stats["store_no_memory"] == "2");
  CHECK(stats["evictions"] == "0");
  for (int i = 0; i < stored; ++i) {
    std::string got = c.Request("get dash" + std::to_string(i) + "\r\n", "END\r\n");
    INFO("key dash", i);
    CHECK(got.size() > value.size());
  }
}

TEST_CASE("options: shutdown needs -A; -F refuses flush_all") {
  if (TargetIsMemcached()) return;
  {
    Daemon plain;
    TcpClient c(plain.port());
    CHECK(c.Request("shutdown\r\n") == "ERROR: shutdown not enabled\r\n");
    CHECK(plain.alive());
  }
  {
    Daemon no_flush({"-F"});
    TcpClient c(no_flush.port());
    CHECK(c.Request("set k 0 0 1\r\nv\r\n") == "STORED\r\n");
    CHECK(c.Request("flush_all\r\n") == "CLIENT_ERROR flush_all not allowed\r\n");
    CHECK(c.Request("get k\r\n", "END\r\n") == "VALUE k 0 1\r\nv\r\nEND\r\n");
  }
  {
    Daemon with_shutdown({"-A"});
    TcpClient c(with_shutdown.port());
    c.SendAll("shutdown\r\n");
    CHECK(c.WaitClosed(5s));
    for (int i = 0; i < 250 && with_shutdown.alive(); ++i) std::this_thread::sleep_for(20ms);
    CHECK_FALSE(with_shutdown.alive());
    CHECK(with_shutdown.exit_code() == 0);
  }
}

TEST_CASE("options: -d daemonizes and -P writes the pid of the serving process") {
  if (TargetIsMemcached()) return;
  std::string pid_file = TempPath("pid");
  int port = FreePort();
  auto started = RunDaemon({"-d", "-P", pid_file, "-p", std::to_string(port), "-l", "127.0.0.1"});
  CHECK(started.exit_code == 0);
  pid_t pid = 0;
  for (int i = 0; i < 100 && pid == 0; ++i) {
    std::ifstream in(pid_file);
    in >> pid;
    if (pid == 0) std::this_thread::sleep_for(20ms);
  }
  REQUIRE(pid > 0);
  CHECK(kill(pid, 0) == 0);
  TcpClient c;
  bool connected = false;
  for (int i = 0; i < 100 && !connected; ++i) {
    connected = c.Connect(port, 200ms);
    if (!connected) std::this_thread::sleep_for(20ms);
  }
  REQUIRE(connected);
  CHECK(c.Request("version\r\n").rfind("VERSION ", 0) == 0);
  kill(pid, SIGTERM);
  for (int i = 0; i < 250 && kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(20ms);
  CHECK(kill(pid, 0) != 0);
}

}  // namespace
}  // namespace kmd::test
