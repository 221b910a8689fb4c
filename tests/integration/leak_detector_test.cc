// The leak detector through the real daemon, two at once under the same light load: one with
// the deliberate 64 KiB/s leak at site a (debug.leak), one clean. Within 60 s /debug/leaks of
// the first names LeakSiteA with its growth rate, the daemon logs it once at warn and /metrics
// exports it; the clean one, after 60 s under load (warm-up included), reports nothing.
// /debug/heap shows the leaking stack and where item writes went. kotoba-memd only.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/daemon.h"
#include "tests/support/http_client.h"
#include "tests/support/tcp_client.h"

namespace kmd::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Short interval and window so the detector judges within the test; sampling at 64 KiB so a
// 64 KiB/s site is sampled about once a second.
std::vector<std::string> ProfileArgs(int admin_port, int metrics_port) {
  return {"--admin-listen",
          "127.0.0.1:" + std::to_string(admin_port),
          "--metrics-listen",
          "127.0.0.1:" + std::to_string(metrics_port),
          "--profile-interval-ms",
          "100",
          "--profile-leak-window",
          "20s",
          "--profile-sample-bytes",
          "64KiB",
          "-t",
          "1"};
}

// Light load until `stop`: sets and gets of "user:N" keys (a bounded key space, so the cache
// fills during the first seconds and then turns over) over four connections, ~250 requests/s.
void DriveLoad(int port, const std::atomic<bool>& stop, std::atomic<int>* failures) {
  std::vector<TcpClient> conns;
  for (int i = 0; i < 4; ++i) conns.emplace_back(port);
  for (uint32_t i = 0; !stop.load(); ++i) {
    TcpClient& c = conns[i % conns.size()];
    const std::string key = "user:" + std::to_string((i * 2654435761u) % 3000);
    const std::string value(100 + (i * 37) % 1400, 'v');
    if (c.Request("set " + key + " 0 0 " + std::to_string(value.size()) + "\r\n" + value +
                  "\r\n") != "STORED\r\n") {
      ++*failures;
    }
    if (c.Request("get " + key + "\r\n", "END\r\n").empty()) ++*failures;
    std::this_thread::sleep_for(8ms);
  }
}

double Number(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return -1;
  return std::stod(m[1]);
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST_CASE("leak detector: names the 64 KiB/s leak site within 60 s; a clean run reports nothing") {
  if (TargetIsMemcached()) return;
  const int leaky_admin = FreePort();
  const int leaky_metrics = FreePort();
  const int clean_admin = FreePort();
  const int clean_metrics = FreePort();
  std::vector<std::string> leaky_args = ProfileArgs(leaky_admin, leaky_metrics);
  leaky_args.insert(leaky_args.end(), {"--debug-leak", "a:64KiB"});
  Daemon leaky(leaky_args);
  Daemon clean(ProfileArgs(clean_admin, clean_metrics));
  REQUIRE_MESSAGE(!leaky.WaitForLog("admin on").empty(), leaky.stderr_text());
  REQUIRE_MESSAGE(!clean.WaitForLog("admin on").empty(), clean.stderr_text());

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  const auto start = Clock::now();
  std::thread leaky_load(DriveLoad, leaky.port(), std::cref(stop), &failures);
  std::thread clean_load(DriveLoad, clean.port(), std::cref(stop), &failures);
  double found_after = -1;
  std::string leaks;
  std::string metrics;
  while (Clock::now() - start < 60s) {
    std::this_thread::sleep_for(1s);
    if (found_after >= 0) continue;
    leaks = HttpGet(leaky_admin, "/debug/leaks").body;
    if (leaks.find("LeakSiteA") != std::string::npos) {
      found_after = std::chrono::duration<double>(Clock::now() - start).count();
      // The finding as it stands when made (active, its rate), and the metrics then: a finding
      // turns inactive while a judgement finds its series flat, and at one sample a second the
      // sampled series of a 64 KiB/s site can look flat for a few seconds at a time.
      metrics = HttpGet(leaky_metrics, "/metrics").body;
    }
  }
  stop = true;
  leaky_load.join();
  clean_load.join();
  CHECK(failures.load() == 0);

  INFO("leaky /debug/leaks: " << leaks);
  REQUIRE_MESSAGE(found_after >= 0, "LeakSiteA not named within 60 s");
  MESSAGE("LeakSiteA named after " << found_after << " s");
  CHECK(leaks.find("\"judging\":true") != std::string::npos);
  CHECK(leaks.find("{\"site\":\"kmd::dispatch::LeakSiteA\",\"kind\":\"allocation_site\","
                   "\"active\":true") != std::string::npos);
  CHECK(leaks.find("kmd::dispatch::DebugLeak::OnRequest") != std::string::npos);
  const double rate =
      Number(leaks, "\"site\":\"kmd::dispatch::LeakSiteA\"[^}]*\"bytes_per_second\":([0-9.e+]+)");
  CHECK(rate > 0.4 * 65536);
  CHECK(rate < 2.0 * 65536);
  const double confidence =
      Number(leaks, "\"site\":\"kmd::dispatch::LeakSiteA\"[^}]*\"confidence\":([0-9.e+]+)");
  CHECK(confidence > 0.999);
  // Logged once, when first found.
  CHECK(Count(leaky.stderr_text(), "leak suspect: kmd::dispatch::LeakSiteA") == 1);
  // Once made, a finding stays listed (active or not) after the leak has stopped.
  CHECK(HttpGet(leaky_admin, "/debug/leaks").body.find("kmd::dispatch::LeakSiteA") !=
        std::string::npos);
  CHECK(Number(metrics, "\nkotoba_leak_suspects ([0-9.e+]+)") >= 1);
  CHECK(Number(metrics,
               "\nkotoba_leak_growth_bytes_per_second\\{site=\""
               "kmd::dispatch::LeakSiteA\"\\} ([0-9.e+]+)") > 0.4 * 65536);

  const std::string clean_leaks = HttpGet(clean_admin, "/debug/leaks").body;
  INFO("clean /debug/leaks: " << clean_leaks);
  CHECK(clean_leaks.find("\"judging\":true") != std::string::npos);
  CHECK(clean_leaks.find("\"findings\":[]") != std::string::npos);
  CHECK(clean.stderr_text().find("leak suspect") == std::string::npos);
#ifdef KMD_SANITIZED
  // ASan's quarantine grows RSS: the daemon says it judges call sites only.
  CHECK(clean.stderr_text().find("judges allocation sites only") != std::string::npos);
#endif
  CHECK(Number(HttpGet(clean_metrics, "/metrics").body, "\nkotoba_leak_suspects ([0-9.e+]+)") == 0);

  // /debug/heap: the leak's stack in the collapsed form; items by class, prefix and command.
  const std::string collapsed = HttpGet(leaky_admin, "/debug/heap").body;
  CHECK(std::regex_search(collapsed, std::regex("DebugLeak::OnRequest;kmd::dispatch::LeakSiteA "
                                                "[0-9]+\n")));
  const std::string heap = HttpGet(leaky_admin, "/debug/heap?format=json").body;
  INFO("heap: " << heap.substr(0, 3000));
  CHECK(heap.find("\"site\":\"kmd::dispatch::LeakSiteA\"") != std::string::npos);
  CHECK(heap.find("\"slab_classes\":[{\"id\":") != std::string::npos);
  CHECK(heap.find("{\"prefix\":\"user\",\"bytes\":") != std::string::npos);
  CHECK(Number(heap, "\"set\":\\{\"writes\":([0-9]+)") > 1000);
  CHECK(HttpGet(leaky_admin, "/debug/heap?format=pprof").status == 400);
}

}  // namespace
}  // namespace kmd::test
