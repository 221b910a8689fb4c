// /metrics with the real daemon: `promtool check metrics` on a live scrape, figures equal to
// `stats`, the listener's start-up policy (off, default taken, configured address taken), a real
// Prometheus server scraping the daemon and answering a query, and the deploy/prometheus files
// (`promtool check rules/config`, the dashboard is JSON, every metric they name is served).
// Every process runs on 127.0.0.1 ports the test picks and is stopped by it. kotoba-memd only.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/daemon.h"
#include "tests/support/http_client.h"
#include "tests/support/run_command.h"
#include "tests/support/tcp_client.h"

namespace kmd::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kListeningLine = "metrics on http://127.0.0.1:";

// A temporary directory, removed with everything in it.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/kmd-metrics-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

// A daemon serving /metrics on a port the kernel picked (read back from its log).
struct MetricsDaemon {
  explicit MetricsDaemon(std::vector<std::string> extra = {})
      : daemon([&] {
          extra.insert(extra.begin(), {"--metrics-listen", "127.0.0.1:0"});
          return extra;
        }()) {
    const std::string line = daemon.WaitForLog(kListeningLine);
    REQUIRE_MESSAGE(!line.empty(), daemon.stderr_text());
    metrics_port = std::stoi(line.substr(line.find(kListeningLine) + std::strlen(kListeningLine)));
  }
  std::string Scrape() {
    const HttpResult r = HttpGet(metrics_port, "/metrics");
    REQUIRE_MESSAGE(r.status == 200, r.error);
    return r.body;
  }
  Daemon daemon;
  int metrics_port = 0;
};

// The value of one series ("name" or "name{labels}") in exposition text; -1 if absent.
double SeriesValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

// Traffic that touches most families: stores of several sizes, hits, misses, arithmetic.
void SomeTraffic(TcpClient& c, int items) {
  for (int i = 0; i < items; ++i) {
    const std::string value(10 + 97 * (i % 20), 'v');
    const std::string key = std::string("key").append(std::to_string(i));
    REQUIRE(c.Request("set " + key + " 0 0 " + std::to_string(value.size()) + "\r\n" + value +
                      "\r\n") == "STORED\r\n");
  }
  c.Request("get key1 nokey\r\n", "END\r\n");
  c.Request("set n 0 0 1\r\n5\r\n");
  c.Request("incr n 2\r\n");
  c.Request("delete nokey\r\n");
}

TEST_CASE("metrics: a live scrape passes promtool check metrics and agrees with stats") {
  if (TargetIsMemcached()) return;
  MetricsDaemon d;
  TcpClient c(d.daemon.port());
  SomeTraffic(c, 60);
  const auto stats = TextStats(c);
  const std::string text = d.Scrape();

  TempDir dir;
  WriteFile(dir.path / "scrape.txt", text);
  CommandOptions opts;
  opts.stdin_path = dir.path / "scrape.txt";
  const CommandResult lint = RunCommand({"promtool", "check", "metrics"}, opts);
  INFO(Describe(lint));
  CHECK(lint.exit_code == 0);
  CHECK(lint.out + lint.err == "");

  CHECK(SeriesValue(text, "kotoba_current_items") == std::stod(stats.at("curr_items")));
  CHECK(SeriesValue(text, "kotoba_current_bytes") == std::stod(stats.at("bytes")));
  CHECK(SeriesValue(text, "kotoba_limit_bytes") == std::stod(stats.at("limit_maxbytes")));
  CHECK(SeriesValue(text, "kotoba_items_total") == std::stod(stats.at("total_items")));
  CHECK(SeriesValue(text, "kotoba_commands_total{command=\"get\",status=\"hit\"}") ==
        std::stod(stats.at("get_hits")));
  CHECK(SeriesValue(text, "kotoba_commands_total{command=\"get\",status=\"miss\"}") ==
        std::stod(stats.at("get_misses")));
  CHECK(SeriesValue(text, "kotoba_current_connections") == std::stod(stats.at("curr_connections")));
  CHECK(SeriesValue(text, "kotoba_request_duration_seconds_count{command=\"set\"}") == 61);
  CHECK(SeriesValue(text, "kotoba_version{version=\"" + stats.at("kotoba_version") +
                              "\",memcached_version=\"" + stats.at("version") + "\"}") == 1);
  CHECK(SeriesValue(text, "kotoba_memory_bytes{kind=\"unaccounted\"}") >= 0);
  CHECK(SeriesValue(text, "kotoba_memory_bytes{kind=\"policy\"}") ==
        std::stod(stats.at("policy_bytes")));
  CHECK(SeriesValue(text, "kotoba_page_source_allocations_total{allocator=\"" +
                              stats.at("page_source") + "\"}") ==
        std::stod(stats.at("page_source_allocations")));
  CHECK(SeriesValue(text, "kotoba_eviction_policy_info{policy=\"" + stats.at("eviction_policy") +
                              "\",live=\"" + stats.at("eviction_policy_live") + "\"}") == 1);
  // Adaptive (the default) exports what it chooses from: one miss ratio per candidate, and the
  // live policy is one of them.
  const std::string live_score = "kotoba_eviction_policy_shadow_miss_ratio{policy=\"" +
                                 stats.at("eviction_policy_live") + "\",share=\"" +
                                 stats.at("eviction_policy_live_share") + "\"}";
  const double score = SeriesValue(text, live_score);
  CHECK(score >= 0);
  CHECK(score <= 1);
  // The landing page links /metrics.
  CHECK(HttpGet(d.metrics_port, "/").body.find("/metrics") != std::string::npos);
}

// A listening socket on 127.0.0.1:port for as long as it lives (fd < 0 if the bind failed).
struct HeldPort {
  explicit HeldPort(int port) {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 4) != 0) {
      close(fd);
      fd = -1;
    }
  }
  ~HeldPort() {
    if (fd >= 0) close(fd);
  }
  int fd = -1;
};

TEST_CASE("metrics: a configured address that is taken stops start-up with exit 2 naming it") {
  if (TargetIsMemcached()) return;
  const int port = FreePort();
  HeldPort held(port);
  REQUIRE(held.fd >= 0);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  const CommandResult r = RunCommand({TargetPath(), "-p", std::to_string(FreePort()), "-l",
                                      "127.0.0.1", "--metrics-listen", address},
                                     10s);
  INFO(Describe(r));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("metrics.listen") != std::string::npos);
  CHECK(r.err.find(address) != std::string::npos);
}

TEST_CASE("metrics: the built-in default taken (a second instance) is a warning, not an error") {
  if (TargetIsMemcached()) return;
  // Held here unless someone else already holds it; taken either way.
  HeldPort held(9150);
  Daemon d;
  CHECK(!d.WaitForLog("running without /metrics").empty());
  TcpClient c(d.port());
  CHECK(c.Request("version\r\n").rfind("VERSION ", 0) == 0);
}

TEST_CASE("metrics: metrics.enabled false opens no listener") {
  if (TargetIsMemcached()) return;
  TempDir dir;
  const int port = FreePort();
  WriteFile(dir.path / "off.yaml",
            "metrics:\n  enabled: false\n  listen: 127.0.0.1:" + std::to_string(port) + "\n");
  Daemon d({"--config", (dir.path / "off.yaml").string()});
  TcpClient c(d.port());
  CHECK(c.Request("version\r\n").rfind("VERSION ", 0) == 0);
  CHECK(d.stderr_text().find("metrics on") == std::string::npos);
  TcpClient probe;
  CHECK_FALSE(probe.Connect(port, 500ms));
}

// The value of the first sample of a Prometheus instant-query answer; "" when there is none.
std::string FirstSampleValue(const std::string& json) {
  const std::regex value_re(R"re("value":\[[0-9.e+]+,"([^"]*)"\])re");
  std::smatch m;
  return std::regex_search(json, m, value_re) ? m[1].str() : "";
}

TEST_CASE("metrics: a real Prometheus scrapes the daemon and reports curr_items") {
  if (TargetIsMemcached()) return;
  MetricsDaemon d;
  TcpClient c(d.daemon.port());
  SomeTraffic(c, 37);
  const std::string curr_items = TextStats(c).at("curr_items");

  TempDir dir;
  WriteFile(dir.path / "prometheus.yml",
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: kotoba\n    static_configs:\n"
            "      - targets: ['127.0.0.1:" +
                std::to_string(d.metrics_port) + "']\n");
  const int api_port = FreePort();
  ChildProcess prometheus({"prometheus", "--config.file=" + (dir.path / "prometheus.yml").string(),
                           "--storage.tsdb.path=" + (dir.path / "data").string(),
                           "--web.listen-address=127.0.0.1:" + std::to_string(api_port),
                           "--log.level=warn"});
  const std::string query =
      "/api/v1/query?query=" + UrlEncode("kotoba_current_items{job=\"kotoba\"}");
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline && prometheus.alive()) {
    const HttpResult r = HttpGet(api_port, query, 2s);
    if (r.status == 200) {
      seen = FirstSampleValue(r.body);
      if (!seen.empty()) break;
    }
    std::this_thread::sleep_for(250ms);
  }
  INFO("prometheus output:\n", prometheus.output());
  CHECK(seen == curr_items);
  const HttpResult up = HttpGet(api_port, "/api/v1/query?query=" + UrlEncode("up{job=\"kotoba\"}"));
  CHECK(FirstSampleValue(up.body) == "1");
  CHECK(prometheus.Stop());
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("deploy/prometheus: rules and config pass promtool, the dashboard is JSON, names exist") {
  if (TargetIsMemcached()) return;
  const fs::path deploy = fs::path(KMD_SOURCE_DIR) / "deploy" / "prometheus";
  const fs::path rules = deploy / "kotoba-memd.rules.yml";
  const fs::path dashboard = deploy / "kotoba-memd-dashboard.json";
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"promtool", "check", "rules", rules.string()},
        std::vector<std::string>{"promtool", "check", "config",
                                 (deploy / "prometheus.yml").string()},
        std::vector<std::string>{"python3", "-m", "json.tool", dashboard.string()}}) {
    const CommandResult r = RunCommand(argv, 30s);
    INFO(Describe(r));
    CHECK(r.exit_code == 0);
  }

  MetricsDaemon d;
  TcpClient c(d.daemon.port());
  SomeTraffic(c, 20);
  const std::string text = d.Scrape();
  std::set<std::string> served;
  const std::regex type_re(R"re(# TYPE (\S+) (\S+))re");
  for (std::sregex_iterator it(text.begin(), text.end(), type_re), end; it != end; ++it) {
    served.insert((*it)[1].str());
    if ((*it)[2].str() == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"})
        served.insert((*it)[1].str() + suffix);
    }
  }
  const std::regex name_re(R"re(kotoba_[a-z0-9_]+)re");
  for (const fs::path& file : {rules, dashboard}) {
    const std::string body = ReadFile(file);
    for (std::sregex_iterator it(body.begin(), body.end(), name_re), end; it != end; ++it) {
      INFO(file.filename().string(), " names ", it->str());
      CHECK(served.count(it->str()) == 1);
    }
  }
}

}  // namespace
}  // namespace kmd::test
