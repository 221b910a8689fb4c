// Every page source and every process allocator inside the real daemon (the full integration
// suite runs under the defaults: arena pages, glibc's malloc). Each page source, with -m 8,
// stores, serves and evicts under memory pressure and names itself in `stats settings` and
// `stats`; each process allocator is really loaded (/proc/PID/maps) and serves set/get.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/daemon.h"
#include "tests/support/run_command.h"
#include "tests/support/tcp_client.h"

namespace kmd::test {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

uint64_t Num(std::map<std::string, std::string>& stats, const std::string& name) {
  INFO("stat ", name);
  REQUIRE(stats.count(name) == 1);
  return std::stoull(stats[name]);
}

TEST_CASE("page sources: each one stores, serves and evicts in the daemon") {
  if (TargetIsMemcached()) return;
  struct Case {
    const char* allocator;
    bool huge_pages;
  };
  for (const Case& k : {Case{"system", false}, Case{"jemalloc", false}, Case{"mimalloc", false},
                        Case{"arena", true}}) {
    CAPTURE(k.allocator);
    CAPTURE(k.huge_pages);
    std::vector<std::string> args = {"-m", "8", "-t", "2", "--memory-allocator", k.allocator};
    if (k.huge_pages) args.push_back("--huge-pages");
    Daemon d(args);
    TcpClient c(d.port());
    auto settings = TextStats(c, "settings");
    CHECK(settings["memory_allocator"] == k.allocator);
    CHECK(settings["huge_pages"] == (k.huge_pages ? "yes" : "no"));
    // 24 MiB of 1 KiB values into 8 MiB: two thirds must be evicted.
    constexpr int kItems = 24 * 1024;
    for (int start = 0; start < kItems; start += 1024) REQUIRE(StoreItems(c, start, 1024, 1000));
    auto st = TextStats(c);
    CHECK(st["page_source"] == k.allocator);
    CHECK(Num(st, "evictions") > 0);
    CHECK(Num(st, "curr_items") > 4000);
    // Every page the store holds came from the source, and no more than -m allows.
    CHECK(Num(st, "page_source_bytes") == Num(st, "total_pages") * Num(st, "page_size"));
    CHECK(Num(st, "page_source_allocations") == Num(st, "total_pages"));
    CHECK(Num(st, "page_source_peak_bytes") <= 8u << 20);
    CHECK(Num(st, "page_source_backend_bytes") > 0);
    const std::string last = "key:" + std::to_string(kItems - 1);
    CHECK(c.Request("get " + last + "\r\n", "END\r\n") ==
          "VALUE " + last + " 0 1000\r\n" + std::string(1000, 'x') + "\r\nEND\r\n");
    CHECK(c.Request("flush_all\r\n") == "OK\r\n");
    CHECK(TextStats(c)["curr_items"] == "0");
    if (k.huge_pages && ReadFile("/proc/sys/vm/nr_hugepages").rfind("0", 0) == 0) {
      // No huge pages reserved on this machine: the daemon says it fell back, and runs.
      CHECK(d.stderr_text().find("memory.huge_pages: the kernel refused") != std::string::npos);
    }
  }
}

TEST_CASE("process allocator: the daemon re-executes with the chosen malloc and serves") {
  if (TargetIsMemcached()) return;
  for (const std::string allocator : {"system", "jemalloc", "mimalloc"}) {
    CAPTURE(allocator);
#ifdef KMD_SANITIZED
    if (allocator != "system") {
      // ASan's malloc must serve the process: the daemon refuses, naming the setting.
      const CommandResult r =
          RunCommand({TargetPath(), "--process-allocator", allocator}, std::chrono::seconds(10));
      CHECK(r.exit_code == 1);
      CHECK(r.err.find("memory.process_allocator " + allocator) != std::string::npos);
      continue;
    }
#endif
    Daemon d({"-m", "8", "--process-allocator", allocator});
    const std::string maps = ReadFile("/proc/" + std::to_string(d.pid()) + "/maps");
    CHECK((maps.find("/libjemalloc.so.2") != std::string::npos) == (allocator == "jemalloc"));
    CHECK((maps.find("/libmimalloc.so.2") != std::string::npos) == (allocator == "mimalloc"));
    if (allocator != "system") {
      // Not only mapped: its malloc is the one the daemon calls.
      CHECK(d.stderr_text().find("malloc from " + allocator) != std::string::npos);
    }
    TcpClient c(d.port());
    CHECK(TextStats(c, "settings")["process_allocator"] == allocator);
    CHECK(c.Request("set k 5 0 3\r\nabc\r\n") == "STORED\r\n");
    CHECK(c.Request("get k\r\n", "END\r\n") == "VALUE k 5 3\r\nabc\r\nEND\r\n");
    REQUIRE(StoreItems(c, 0, 2000, 100));
    CHECK(c.Request("get key:1999\r\n", "END\r\n") ==
          "VALUE key:1999 0 100\r\n" + std::string(100, 'x') + "\r\nEND\r\n");
  }
}

TEST_CASE("allocators: bad values exit 2 naming the key, the value and what is allowed") {
  if (TargetIsMemcached()) return;
  const auto run = [](std::vector<std::string> args) {
    args.insert(args.begin(), TargetPath());
    return RunCommand(args, std::chrono::seconds(10));
  };
  const CommandResult bad_pages = run({"--memory-allocator", "tcmalloc"});
  CHECK(bad_pages.exit_code == 2);
  CHECK(bad_pages.err.find("memory.allocator") != std::string::npos);
  CHECK(bad_pages.err.find("\"tcmalloc\"") != std::string::npos);
  CHECK(bad_pages.err.find("arena,system,jemalloc,mimalloc") != std::string::npos);
  const CommandResult bad_process = run({"--process-allocator", "arena"});
  CHECK(bad_process.exit_code == 2);
  CHECK(bad_process.err.find("memory.process_allocator") != std::string::npos);
  CHECK(bad_process.err.find("system,jemalloc,mimalloc") != std::string::npos);
  const CommandResult huge_heap = run({"--memory-allocator", "jemalloc", "--huge-pages"});
  CHECK(huge_heap.exit_code == 2);
  CHECK(huge_heap.err.find("memory.huge_pages") != std::string::npos);
}

}  // namespace
}  // namespace kmd::test
