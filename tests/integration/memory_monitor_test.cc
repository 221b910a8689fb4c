// The memory monitor through the real daemon: /debug/memory on the admin listener agrees with
// `stats` once a sample is taken after the writes, /debug/memory.svg is an SVG plot, `stats
// memory` answers STAT lines, and admin.listen follows the metrics listener's start-up rules (a
// configured address that is taken: exit 2 naming it). kotoba-memd only.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <regex>
#include <string>
#include <thread>

#include "tests/support/daemon.h"
#include "tests/support/http_client.h"
#include "tests/support/run_command.h"
#include "tests/support/tcp_client.h"

namespace kmd::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAdminLine = "admin on http://127.0.0.1:";

// The first "name":<number> in `json` (the latest sample's figures precede the history's
// arrays); -1 when absent.
double JsonNumber(const std::string& json, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + name + "\":(\\d+)"))) return -1;
  return std::stod(m[1]);
}

TEST_CASE("memory monitor: /debug/memory agrees with stats, the SVG plots it, stats memory") {
  if (TargetIsMemcached()) return;
  const int admin_port = FreePort();
  Daemon d({"--admin-listen", "127.0.0.1:" + std::to_string(admin_port), "--metrics-listen",
            "127.0.0.1:0", "--profile-interval-ms", "50"});
  REQUIRE_MESSAGE(!d.WaitForLog(kAdminLine).empty(), d.stderr_text());
  TcpClient c(d.port());
  for (int i = 0; i < 300; ++i) {
    const std::string value(100 + 13 * (i % 40), 'v');
    REQUIRE(c.Request("set key" + std::to_string(i) + " 0 0 " + std::to_string(value.size()) +
                      "\r\n" + value + "\r\n") == "STORED\r\n");
  }
  const auto stats = TextStats(c);
  REQUIRE(stats.at("curr_items") == "300");
  // Wait for at least two samples, the newest taken after the writes (the store is quiet now,
  // so its figures are those of `stats`).
  std::string json;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    const HttpResult r = HttpGet(admin_port, "/debug/memory");
    REQUIRE_MESSAGE(r.status == 200, r.error);
    json = r.body;
    if (JsonNumber(json, "samples_held") >= 2 && JsonNumber(json, "items") == 300) break;
    std::this_thread::sleep_for(20ms);
  }
  INFO(json.substr(0, 2000));
  CHECK(JsonNumber(json, "samples_held") >= 2);
  CHECK(JsonNumber(json, "interval_ms") == 50);
  CHECK(JsonNumber(json, "items") == 300);
  CHECK(JsonNumber(json, "payload") == std::stod(stats.at("payload_bytes")));
  CHECK(JsonNumber(json, "item_metadata") == std::stod(stats.at("item_header_bytes")));
  CHECK(JsonNumber(json, "slab_slack") == std::stod(stats.at("slab_slack_bytes")));
  CHECK(JsonNumber(json, "index") == std::stod(stats.at("index_bytes")));
  CHECK(JsonNumber(json, "limit_bytes") == std::stod(stats.at("limit_maxbytes")));
  CHECK(JsonNumber(json, "rss_bytes") > 0);
#ifndef KMD_SANITIZED  // ASan's allocator replaces glibc's: mallinfo2 reports zeros
  CHECK(JsonNumber(json, "arena_bytes") > 0);
#endif
  CHECK(json.find("\"history\":{\"time_ms\":[") != std::string::npos);
  CHECK(json.find("\"classes\":[{\"id\":") != std::string::npos);

  const HttpResult svg = HttpGet(admin_port, "/debug/memory.svg");
  REQUIRE(svg.status == 200);
  CHECK(svg.body.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(svg.body.find("data-kind=\"payload\"") != std::string::npos);
  CHECK(svg.body.find("</svg>") != std::string::npos);
  CHECK(HttpGet(admin_port, "/").body.find("/debug/memory.svg") != std::string::npos);

  const auto memory = TextStats(c, "memory");
  CHECK(memory.at("enabled") == "1");
  CHECK(std::stod(memory.at("samples")) >= 2);
  CHECK(std::stod(memory.at("rss_bytes")) > 0);
  CHECK(memory.at("payload_bytes") == stats.at("payload_bytes"));
  CHECK(memory.count("unaccounted_bytes") == 1);
  CHECK(memory.count("malloc_in_use_bytes") == 1);
  // Unknown groups keep memcached's answer.
  CHECK(c.Request("stats nosuchgroup\r\n") == "ERROR\r\n");
}

TEST_CASE("memory monitor: buffers and pools are accounted in stats, /debug/memory, /metrics") {
  if (TargetIsMemcached()) return;
  const int admin_port = FreePort();
  const int metrics_port = FreePort();
  Daemon d({"-t", "1", "--admin-listen", "127.0.0.1:" + std::to_string(admin_port),
            "--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port),
            "--profile-interval-ms", "50"});
  REQUIRE_MESSAGE(!d.WaitForLog(kAdminLine).empty(), d.stderr_text());
  TcpClient c(d.port());
  const std::string value(20000, 'v');
  std::string batch;
  for (int i = 0; i < 20; ++i) {
    batch += "set big" + std::to_string(i) + " 0 0 20000\r\n" + value + "\r\n";
  }
  batch += "get";
  for (int i = 0; i < 20; ++i) batch += " big" + std::to_string(i);
  batch += "\r\n";
  const std::string reply = c.Request(batch, "END\r\n");
  REQUIRE(reply.size() > 20 * 20000);
  // Idle now: the connection's buffers went back to the worker's pool.
  const auto stats = TextStats(c);
  CHECK(std::stod(stats.at("buffer_pool_bytes")) > 0);
  CHECK(std::stod(stats.at("buffer_pool_hits")) > 0);
  CHECK(stats.count("buffer_bytes") == 1);
  std::string json;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    json = HttpGet(admin_port, "/debug/memory").body;
    if (JsonNumber(json, "pools") > 0) break;
    std::this_thread::sleep_for(20ms);
  }
  INFO(json.substr(0, 2000));
  CHECK(JsonNumber(json, "pools") > 0);
  CHECK(JsonNumber(json, "buffers") >= 0);
  const auto memory = TextStats(c, "memory");
  CHECK(std::stod(memory.at("pools_bytes")) > 0);
  CHECK(memory.count("buffers_bytes") == 1);
  const std::string metrics = HttpGet(metrics_port, "/metrics").body;
  CHECK(metrics.find("kotoba_memory_bytes{kind=\"buffers\"}") != std::string::npos);
  CHECK(metrics.find("kotoba_memory_bytes{kind=\"pools\"}") != std::string::npos);
  CHECK(metrics.find("kotoba_buffer_pool_bytes ") != std::string::npos);
}

TEST_CASE("memory monitor: profile.enabled false leaves stats memory with enabled 0") {
  if (TargetIsMemcached()) return;
  const std::string yaml = "/tmp/kmd-profile-off-" + std::to_string(getpid()) + ".yaml";
  {
    FILE* f = std::fopen(yaml.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("profile:\n  enabled: false\nadmin:\n  listen: 127.0.0.1:0\n", f);
    std::fclose(f);
  }
  Daemon d({"--config", yaml, "--metrics-listen", "127.0.0.1:0"});
  std::remove(yaml.c_str());
  TcpClient c(d.port());
  const auto memory = TextStats(c, "memory");
  CHECK(memory.at("enabled") == "0");
  CHECK(memory.size() == 1);
}

TEST_CASE("memory monitor: a configured admin.listen that is taken stops start-up with exit 2") {
  if (TargetIsMemcached()) return;
  Daemon first({"--admin-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"});
  const std::string line = first.WaitForLog(kAdminLine);
  REQUIRE_MESSAGE(!line.empty(), first.stderr_text());
  const int port = std::stoi(line.substr(line.find(kAdminLine) + std::strlen(kAdminLine)));
  const std::string address = "127.0.0.1:" + std::to_string(port);
  const CommandResult r =
      RunCommand({TargetPath(), "-p", std::to_string(FreePort()), "-l", "127.0.0.1",
                  "--metrics-listen", "127.0.0.1:0", "--admin-listen", address},
                 10s);
  INFO(Describe(r));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("admin.listen") != std::string::npos);
  CHECK(r.err.find(address) != std::string::npos);
}

}  // namespace
}  // namespace kmd::test
