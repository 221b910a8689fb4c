// Unit tests for kmd::config::Load: defaults, every flag form, YAML + flag precedence, each error
// class (exit 2 and what the message names), memcached's -I/-m rules, every memcached 1.6.18 flag,
// --help/--version/--check-config, Debian's memcached.conf, stats settings and the YAML dump.
#include "config/load.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "config/options.h"
#include "test_util.h"

using namespace kmd::config;
using kmd::config::testing::Contains;
using kmd::config::testing::Run;
using kmd::config::testing::TempFile;

namespace {

void CheckUsageError(const LoadOutcome& out, std::initializer_list<std::string> needles) {
  CHECK(out.action == LoadOutcome::kExit);
  CHECK(out.exit_code == 2);
  for (const auto& needle : needles) {
    INFO("message: " << out.message);
    CHECK(Contains(out.message, needle));
  }
}

bool HasWarning(const Config& c, const std::string& needle) {
  return std::any_of(c.warnings.begin(), c.warnings.end(),
                     [&](const std::string& w) { return Contains(w, needle); });
}

}  // namespace

TEST_CASE("no arguments: built-in defaults") {
  const auto out = Run({});
  REQUIRE(out.action == LoadOutcome::kRun);
  CHECK(out.exit_code == 0);
  CHECK(out.message.empty());
  const Config& c = out.config;
  CHECK(c.listen.address == "127.0.0.1");
  CHECK(c.listen.port == 11211);
  CHECK(c.listen.udp_port == 0);
  CHECK(c.listen.unix_socket.empty());
  CHECK(c.listen.unix_mask == 0700u);
  CHECK(c.memory.limit == 64 * kMiB);
  CHECK(c.memory.evictions);
  CHECK(c.connections.max == 1024u);
  CHECK(c.connections.drain_timeout == std::chrono::seconds(5));
  CHECK(c.threads >= 1u);
  CHECK(c.threads == DefaultThreads());
  CHECK(c.items.max_size == kMiB);
  CHECK(c.log.level == "info");
  CHECK(c.log.verbosity == 0u);
  CHECK(c.user.empty());
  CHECK_FALSE(c.daemonize);
  CHECK(c.pid_file.empty());
  CHECK_FALSE(c.check_only);
  CHECK(c.config_path.empty());
  CHECK(c.metrics.enabled);
  CHECK(c.metrics.listen == "127.0.0.1:9150");
  CHECK(c.admin.listen == "127.0.0.1:9151");
  CHECK(c.warnings.empty());
}

TEST_CASE("every value flag form: -p 1, -p1, --port=1, --port 1") {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-p", "11299"}, {"-p11299"}, {"--port=11299"}, {"--port", "11299"}}) {
    const auto out = Run(args);
    REQUIRE(out.action == LoadOutcome::kRun);
    CHECK(out.config.listen.port == 11299);
  }
}

TEST_CASE("every setting flag reaches its field") {
  const auto out = Run({"-l",
                        "0.0.0.0",
                        "-p",
                        "0",
                        "-U",
                        "0",
                        "-a",
                        "0770",
                        "-m",
                        "128",
                        "-c",
                        "5000",
                        "-t",
                        "3",
                        "-I",
                        "2m",
                        "-u",
                        "memcache",
                        "-d",
                        "-P",
                        "/run/kmd.pid",
                        "--metrics-listen",
                        "127.0.0.1:19150",
                        "--admin-listen=[::1]:19151",
                        "--logfile",
                        "/var/log/kmd.log",
                        "-M"});
  REQUIRE(out.action == LoadOutcome::kRun);
  const Config& c = out.config;
  CHECK(c.listen.address == "0.0.0.0");
  CHECK(c.listen.port == 0);
  CHECK(c.listen.unix_mask == 0770u);
  CHECK(c.memory.limit == 128 * kMiB);
  CHECK_FALSE(c.memory.evictions);
  CHECK(c.connections.max == 5000u);
  CHECK(c.threads == 3u);
  CHECK(c.items.max_size == 2 * kMiB);
  CHECK(c.user == "memcache");
  CHECK(c.daemonize);
  CHECK(c.pid_file == "/run/kmd.pid");
  CHECK(c.metrics.listen == "127.0.0.1:19150");
  CHECK(c.admin.listen == "[::1]:19151");
  CHECK(c.log.file == "/var/log/kmd.log");
  CHECK(c.warnings.empty());

  const auto longs =
      Run({"--listen=10.0.0.1", "--udp-port=0", "--unix-socket=/tmp/kmd.sock", "--unix-mask=755",
           "--memory-limit=1g", "--conn-limit=7", "--threads=2", "--max-item-size=4096",
           "--user=nobody", "--daemon", "--pidfile=/tmp/p", "--disable-evictions"});
  REQUIRE(longs.action == LoadOutcome::kRun);
  CHECK(longs.config.listen.address == "10.0.0.1");
  CHECK(longs.config.listen.unix_socket == "/tmp/kmd.sock");
  CHECK(longs.config.listen.unix_mask == 0755u);
  CHECK(longs.config.memory.limit == kGiB);
  CHECK(longs.config.connections.max == 7u);
  CHECK(longs.config.threads == 2u);
  CHECK(longs.config.items.max_size == 4096u);
  CHECK(longs.config.user == "nobody");
  CHECK(longs.config.daemonize);
  CHECK(longs.config.pid_file == "/tmp/p");
  CHECK_FALSE(longs.config.memory.evictions);
}

TEST_CASE("-m: a bare number is MiB, suffixes are honoured") {
  CHECK(Run({"-m", "64"}).config.memory.limit == 64 * kMiB);
  CHECK(Run({"-m", "2g"}).config.memory.limit == 2 * kGiB);
  CHECK(Run({"-m", "2GiB"}).config.memory.limit == 2 * kGiB);
  CHECK(Run({"-m", "4096k"}).config.memory.limit == 4 * kMiB);
  // -I: a bare number is bytes, as memcached's -I.
  CHECK(Run({"-I", "2048"}).config.items.max_size == 2048u);
  CHECK(Run({"-I", "1k"}).config.items.max_size == 1024u);
}

TEST_CASE("-v, -vv, -vvv, repeated -v, --verbose, and combined short flags") {
  CHECK(Run({"-v"}).config.log.verbosity == 1u);
  CHECK(Run({"-vv"}).config.log.verbosity == 2u);
  CHECK(Run({"-vvv"}).config.log.verbosity == 3u);
  CHECK(Run({"-v", "-v"}).config.log.verbosity == 2u);
  CHECK(Run({"--verbose"}).config.log.verbosity == 1u);
  CHECK(Run({"-vvvvv"}).config.log.verbosity == 3u);  // capped, as 0..3 is all there is

  const auto combined = Run({"-dvp", "11300"});
  REQUIRE(combined.action == LoadOutcome::kRun);
  CHECK(combined.config.daemonize);
  CHECK(combined.config.log.verbosity == 1u);
  CHECK(combined.config.listen.port == 11300);
  const auto attached = Run({"-dvvp11301"});
  CHECK(attached.config.log.verbosity == 2u);
  CHECK(attached.config.listen.port == 11301);
}

TEST_CASE("EffectiveLogLevel: -v info, -vv debug, -vvv trace, never quieter than log.level") {
  LogConfig log;
  CHECK(EffectiveLogLevel(log) == "info");
  log.verbosity = 1;
  CHECK(EffectiveLogLevel(log) == "info");
  log.verbosity = 2;
  CHECK(EffectiveLogLevel(log) == "debug");
  log.verbosity = 3;
  CHECK(EffectiveLogLevel(log) == "trace");
  log.level = "error";
  log.verbosity = 1;
  CHECK(EffectiveLogLevel(log) == "info");
  log.verbosity = 1;
  log.level = "trace";
  CHECK(EffectiveLogLevel(log) == "trace");
  log.verbosity = 0;
  log.level = "error";
  CHECK(EffectiveLogLevel(log) == "error");
}

TEST_CASE("YAML file: every section, nested keys, sizes and durations") {
  TempFile file(R"(# comment
listen:
  address: 0.0.0.0
  port: 11311
  unix_mask: 0755
memory:
  limit: 256MiB
  evictions: false
connections:
  max: 4096
  drain_timeout: 1500ms
threads: 6
items:
  max_size: 4 MiB
log:
  level: debug
  verbosity: 2
user: memcache
daemonize: yes
pid_file: /run/kmd.pid
metrics:
  enabled: false
  listen: 0.0.0.0:9250
admin:
  listen: "[::1]:9251"
)");
  const auto out = Run({"--config", file.path()});
  REQUIRE(out.action == LoadOutcome::kRun);
  const Config& c = out.config;
  CHECK(c.config_path == file.path());
  CHECK(c.listen.address == "0.0.0.0");
  CHECK(c.listen.port == 11311);
  CHECK(c.listen.unix_mask == 0755u);
  CHECK(c.memory.limit == 256 * kMiB);
  CHECK_FALSE(c.memory.evictions);
  CHECK(c.connections.max == 4096u);
  CHECK(c.connections.drain_timeout == std::chrono::milliseconds(1500));
  CHECK(c.threads == 6u);
  CHECK(c.items.max_size == 4 * kMiB);
  CHECK(c.log.level == "debug");
  CHECK(c.log.verbosity == 2u);
  CHECK(c.user == "memcache");
  CHECK(c.daemonize);
  CHECK(c.pid_file == "/run/kmd.pid");
  CHECK_FALSE(c.metrics.enabled);
  CHECK(c.metrics.listen == "0.0.0.0:9250");
  CHECK(c.admin.listen == "[::1]:9251");
}

TEST_CASE("YAML memory.limit: a bare number is MiB, as -m") {
  TempFile file("memory:\n  limit: 100\n");
  CHECK(Run({"--config=" + file.path()}).config.memory.limit == 100 * kMiB);
}

TEST_CASE("an empty YAML file keeps the defaults") {
  TempFile file("# nothing here\n");
  const auto out = Run({"--config", file.path()});
  REQUIRE(out.action == LoadOutcome::kRun);
  CHECK(out.config.listen.port == 11211);
}

TEST_CASE("a flag overrides the file, wherever --config appears") {
  TempFile file(
      "listen:\n  port: 11311\nmemory:\n  limit: 256m\nthreads: 6\nlog:\n  verbosity: 3\n");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--config", file.path(), "-p", "11411", "-t", "2", "-v"},
           {"-p", "11411", "-t", "2", "-v", "--config", file.path()}}) {
    const auto out = Run(args);
    REQUIRE(out.action == LoadOutcome::kRun);
    CHECK(out.config.listen.port == 11411);
    CHECK(out.config.threads == 2u);
    CHECK(out.config.log.verbosity == 1u);
    CHECK(out.config.memory.limit == 256 * kMiB);  // from the file, no flag for it
  }
}

TEST_CASE("unknown YAML keys are rejected, naming the key, the file and the line") {
  TempFile top("listen:\n  port: 1\nthreadz: 4\n");
  CheckUsageError(Run({"--config", top.path()}), {"unknown key \"threadz\"", top.path(), ":3"});
  TempFile nested("listen:\n  prot: 1\n");
  CheckUsageError(Run({"--config", nested.path()}),
                  {"unknown key \"listen.prot\"", "listen.port", nested.path() + ":2"});
  TempFile section("listne:\n  port: 1\n");
  CheckUsageError(Run({"--config", section.path()}), {"unknown key \"listne\""});
  TempFile scalar_section("listen: 11211\n");
  CheckUsageError(Run({"--config", scalar_section.path()}),
                  {"\"listen\" is a section", "listen.port"});
}

TEST_CASE("bad YAML values are rejected with the key, the value and what is allowed") {
  TempFile type("threads: lots\n");
  CheckUsageError(Run({"--config", type.path()}),
                  {"\"lots\"", "threads", "an integer in 1..1024", type.path() + ":1"});
  TempFile range("listen:\n  port: 70000\n");
  CheckUsageError(Run({"--config", range.path()}),
                  {"\"70000\"", "listen.port", "0..65535", range.path() + ":2"});
  TempFile suffix("memory:\n  limit: 64 parsecs\n");
  CheckUsageError(
      Run({"--config", suffix.path()}),
      {"\"64 parsecs\"", "memory.limit", "KiB, MiB, GiB", "bare number meaning units of 1MiB"});
  TempFile boolean("memory:\n  evictions: sometimes\n");
  CheckUsageError(Run({"--config", boolean.path()}), {"\"sometimes\"", "true or false"});
  TempFile level("log:\n  level: loud\n");
  CheckUsageError(Run({"--config", level.path()}), {"\"loud\"", "log.level", "trace,debug,info"});
  TempFile duration("connections:\n  drain_timeout: 3 days\n");
  CheckUsageError(Run({"--config", duration.path()}),
                  {"\"3 days\"", "connections.drain_timeout", "ms, s, m or h"});
  TempFile pool("connections:\n  buffer_pool_bytes: 2GiB\n");
  CheckUsageError(Run({"--config", pool.path()}),
                  {"\"2GiB\"", "connections.buffer_pool_bytes", "0B..1GiB"});
  TempFile hostport("metrics:\n  listen: nowhere\n");
  CheckUsageError(Run({"--config", hostport.path()}), {"\"nowhere\"", "HOST:PORT"});
  TempFile list("threads: [1, 2]\n");
  CheckUsageError(Run({"--config", list.path()}), {"threads", "single value"});
  TempFile syntax("listen:\n  port: [1\n");
  CheckUsageError(Run({"--config", syntax.path()}), {syntax.path(), "YAML syntax error"});
  TempFile not_map("- 1\n- 2\n");
  CheckUsageError(Run({"--config", not_map.path()}), {not_map.path(), "mapping"});
}

TEST_CASE("a missing or unreadable config file exits 2 naming the path") {
  CheckUsageError(Run({"--config", "/nonexistent/kmd.yaml"}),
                  {"/nonexistent/kmd.yaml", "cannot read config file"});
  CheckUsageError(Run({"--config", "/tmp"}), {"\"/tmp\"", "directory"});
  CheckUsageError(Run({"--config"}), {"--config", "needs a value"});
}

TEST_CASE("unknown flags are rejected") {
  CheckUsageError(Run({"--bogus"}), {"unknown option \"--bogus\"", "--help"});
  CheckUsageError(Run({"--bogus=1"}), {"unknown option \"--bogus\""});
  CheckUsageError(Run({"-q"}), {"unknown option \"-q\""});
  CheckUsageError(Run({"-vq"}), {"unknown option \"-q\" in \"-vq\""});
  CheckUsageError(Run({"-G", "1"}), {"\"-G\""});
  CheckUsageError(Run({"11211"}), {"unexpected argument \"11211\""});
  CheckUsageError(Run({"--help=yes"}), {"--help", "takes no value"});
}

TEST_CASE("bad flag values: the flag, its key, the value and what is allowed") {
  CheckUsageError(Run({"-p", "70000"}), {"\"70000\"", "-p/--port (listen.port)", "0..65535"});
  CheckUsageError(Run({"--port=-1"}), {"\"-1\"", "--port"});
  CheckUsageError(Run({"-p", "http"}), {"\"http\"", "-p/--port"});
  CheckUsageError(Run({"-t", "0"}), {"\"0\"", "-t/--threads (threads)", "1..1024"});
  CheckUsageError(Run({"-c", "0"}), {"\"0\"", "-c/--conn-limit (connections.max)"});
  CheckUsageError(Run({"-m", "64x"}), {"\"64x\"", "-m/--memory-limit", "suffix"});
  CheckUsageError(Run({"-m=64"}), {"\"=64\"", "-m/--memory-limit"});
  CheckUsageError(Run({"-m", "512k"}), {"\"512k\"", "1MiB.."});
  CheckUsageError(Run({"-a", "999"}), {"\"999\"", "-a/--unix-mask", "octal"});
  CheckUsageError(Run({"--daemon=perhaps"}), {"\"perhaps\"", "--daemon"});
  CheckUsageError(Run({"--metrics-listen", "9150"}), {"\"9150\"", "HOST:PORT"});
  CheckUsageError(Run({"-p"}), {"-p/--port", "needs a value"});
  CheckUsageError(Run({"-U", "99999"}), {"\"99999\"", "-U/--udp-port"});
}

TEST_CASE("-I follows memcached's rules: >= 1 KiB, <= 1 GiB, at most half of -m") {
  CheckUsageError(Run({"-I", "512"}), {"\"512\"", "-I/--max-item-size", "1KiB..1GiB"});
  CheckUsageError(Run({"-I", "2g", "-m", "8g"}), {"\"2g\"", "1KiB..1GiB"});
  CheckUsageError(Run({"-I", "2m", "-m", "2"}),
                  {"items.max_size (-I) 2MiB", "memory.limit (-m) 2MiB",
                   "cannot set item size limit higher than 1/2 of memory max", "4MiB"});
  CheckUsageError(Run({"-m", "1"}), {"higher than 1/2 of memory max"});
  const auto half = Run({"-I", "32m", "-m", "64"});
  REQUIRE(half.action == LoadOutcome::kRun);
  CHECK(half.config.items.max_size == 32 * kMiB);
  const auto gig = Run({"-I", "1g", "-m", "2g"});
  REQUIRE(gig.action == LoadOutcome::kRun);
  CHECK(gig.config.items.max_size == kGiB);
  // The rule is checked on the merged result: the file's -m and the flag's -I together.
  TempFile file("memory:\n  limit: 4\n");
  CheckUsageError(Run({"--config", file.path(), "-I", "3m"}), {"1/2 of memory max"});
}

TEST_CASE("cross-field rules: listeners need distinct ports") {
  CheckUsageError(Run({"--metrics-listen=127.0.0.1:9000", "--admin-listen=127.0.0.1:9000"}),
                  {"metrics.listen and admin.listen"});
  CheckUsageError(Run({"-p", "9150"}), {"listen.port (-p) 9150"});
  CHECK(Run({"-p", "9150", "-s", "/tmp/x.sock"}).action == LoadOutcome::kRun);
  CheckUsageError(Run({"-l", ""}), {"nothing to listen on"});
}

TEST_CASE("memory.allocator, memory.huge_pages, memory.process_allocator: values and rules") {
  const auto flags = Run({"--memory-allocator", "jemalloc", "--process-allocator=mimalloc"});
  REQUIRE(flags.action == LoadOutcome::kRun);
  CHECK(flags.config.memory.allocator == "jemalloc");
  CHECK(flags.config.memory.process_allocator == "mimalloc");
  CHECK_FALSE(flags.config.memory.huge_pages);
  TempFile file("memory:\n  allocator: arena\n  huge_pages: true\n  process_allocator: jemalloc\n");
  const auto yaml = Run({"--config", file.path()});
  REQUIRE(yaml.action == LoadOutcome::kRun);
  CHECK(yaml.config.memory.huge_pages);
  CHECK(yaml.config.memory.process_allocator == "jemalloc");
  CHECK(Run({"--huge-pages"}).config.memory.huge_pages);
  CheckUsageError(Run({"--memory-allocator", "tcmalloc"}),
                  {"\"tcmalloc\"", "--memory-allocator (memory.allocator)", "arena", "system",
                   "jemalloc", "mimalloc"});
  TempFile bad("memory:\n  process_allocator: arena\n");
  CheckUsageError(Run({"--config", bad.path()}),
                  {"\"arena\"", "memory.process_allocator", "system", "jemalloc", "mimalloc"});
  CheckUsageError(Run({"--memory-allocator", "system", "--huge-pages"}),
                  {"memory.huge_pages", "memory.allocator system", "arena"});
}

TEST_CASE("memory.page_size: auto follows -m within 64KiB..1MiB; a set value must be allowed") {
  const auto defaults = Run({});
  REQUIRE(defaults.action == LoadOutcome::kRun);
  CHECK(defaults.config.memory.page_size == 0);
  CHECK(EffectivePageSize(defaults.config.memory) == 64 * kKiB);  // -m 64: 1,024 pages
  CHECK(EffectivePageSize(Run({"-m", "8"}).config.memory) == 64 * kKiB);
  CHECK(EffectivePageSize(Run({"-m", "300"}).config.memory) == 256 * kKiB);
  CHECK(EffectivePageSize(Run({"-m", "1024"}).config.memory) == kMiB);
  CHECK(EffectivePageSize(Run({"-m", "65536"}).config.memory) == kMiB);
  const auto set = Run({"--slab-page-size", "512KiB"});
  REQUIRE(set.action == LoadOutcome::kRun);
  CHECK(EffectivePageSize(set.config.memory) == 512 * kKiB);
  TempFile file("memory:\n  page_size: 128KiB\n");
  CHECK(EffectivePageSize(Run({"--config", file.path()}).config.memory) == 128 * kKiB);
  CheckUsageError(Run({"--slab-page-size", "96KiB"}), {"memory.page_size", "96", "power of two"});
  CheckUsageError(Run({"--slab-page-size", "32KiB"}), {"memory.page_size", "64KiB", "1MiB"});
  CheckUsageError(Run({"--slab-page-size", "2MiB"}), {"memory.page_size"});
}

TEST_CASE("memory.rss_limit: off by default, a size, auto, and at least -m + the allowance") {
  const auto defaults = Run({});
  REQUIRE(defaults.action == LoadOutcome::kRun);
  CHECK(EffectiveRssLimit(defaults.config.memory) == 0);
  const auto sized = Run({"-m", "192", "--rss-limit", "256m"});
  REQUIRE(sized.action == LoadOutcome::kRun);
  CHECK(EffectiveRssLimit(sized.config.memory) == 256 * kMiB);
  // auto: -m + max(64 MiB, -m / 4).
  CHECK(EffectiveRssLimit(Run({"-m", "192", "--rss-limit=auto"}).config.memory) == 256 * kMiB);
  CHECK(EffectiveRssLimit(Run({"-m", "1024", "--rss-limit=auto"}).config.memory) == 1280 * kMiB);
  CHECK(EffectiveRssLimit(Run({"--rss-limit", "0"}).config.memory) == 0);
  CHECK(EffectiveRssLimit(Run({"--rss-limit", "off"}).config.memory) == 0);
  TempFile file("memory:\n  limit: 64\n  rss_limit: 100m\n");
  const auto yaml = Run({"--config", file.path()});
  REQUIRE(yaml.action == LoadOutcome::kRun);
  CHECK(EffectiveRssLimit(yaml.config.memory) == 100 * kMiB);
  CHECK(DumpYaml(yaml.config).find("rss_limit: \"100MiB\"") != std::string::npos);
  CheckUsageError(
      Run({"-m", "192", "--rss-limit", "200m"}),
      {"memory.rss_limit", "200MiB", "memory.limit (-m) 192MiB", "16MiB", "at least 208MiB"});
  CheckUsageError(Run({"--rss-limit", "lots"}),
                  {"\"lots\"", "--rss-limit (memory.rss_limit)", "off,auto", "a size"});
}

TEST_CASE("-U 0 is silent; a non-zero UDP port is accepted with a warning") {
  const auto zero = Run({"-U", "0"});
  REQUIRE(zero.action == LoadOutcome::kRun);
  CHECK(zero.config.warnings.empty());
  const auto on = Run({"-U", "11211"});
  REQUIRE(on.action == LoadOutcome::kRun);
  CHECK(HasWarning(on.config, "-U/--udp-port"));
  CHECK(HasWarning(on.config, "UDP is not served"));
}

TEST_CASE("every memcached 1.6.18 flag and long option is accepted") {
  // All of `memcached -h` except -h/-V/-i, which exit (tested below).
  const std::vector<std::vector<std::string>> accepted = {
      {"-p", "11211"},
      {"--port=11211"},
      {"-U", "0"},
      {"--udp-port=0"},
      {"-s", "/tmp/m.sock"},
      {"--unix-socket=/tmp/m.sock"},
      {"-a", "700"},
      {"--unix-mask=700"},
      {"-A"},
      {"--enable-shutdown"},
      {"-l", "127.0.0.1"},
      {"--listen=127.0.0.1"},
      {"-d"},
      {"--daemon"},
      {"-r"},
      {"--enable-coredumps"},
      {"-u", "nobody"},
      {"--user=nobody"},
      {"-m", "64"},
      {"--memory-limit=64"},
      {"-M"},
      {"--disable-evictions"},
      {"-c", "1024"},
      {"--conn-limit=1024"},
      {"-k"},
      {"--lock-memory"},
      {"-v"},
      {"--verbose"},
      {"-vv"},
      {"-vvv"},
      {"-P", "/tmp/m.pid"},
      {"--pidfile=/tmp/m.pid"},
      {"-f", "1.25"},
      {"--slab-growth-factor=1.25"},
      {"-n", "48"},
      {"--slab-min-size=48"},
      {"-L"},
      {"--enable-largepages"},
      {"-D", ":"},
      {"-t", "4"},
      {"--threads=4"},
      {"-R", "20"},
      {"--max-reqs-per-event=20"},
      {"-C"},
      {"--disable-cas"},
      {"-b", "1024"},
      {"--listen-backlog=1024"},
      {"-B", "auto"},
      {"--protocol=binary"},
      {"-I", "1m"},
      {"--max-item-size=1m"},
      {"-S"},
      {"--enable-sasl"},
      {"-F"},
      {"--disable-flush-all"},
      {"-X"},
      {"--disable-dumping"},
      {"-W"},
      {"--disable-watch"},
      {"-Y", "/tmp/auth"},
      {"--auth-file=/tmp/auth"},
      {"-e", "/tmp/mem"},
      {"--memory-file=/tmp/mem"},
      {"-Z"},
      {"--enable-ssl"},
      {"-o", "modern"},
      {"--extended=modern"},
      {"-N", "1"},
      {"--napi-ids=1"},
      {"--napi_ids=1"},
  };
  for (const auto& args : accepted) {
    const auto out = Run(args);
    INFO("args: " << args[0] << " message: " << out.message);
    CHECK(out.action == LoadOutcome::kRun);
  }
}

TEST_CASE("flags with no effect here are accepted with a warning naming the flag") {
  for (const auto& [args, name] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"-r"}, "-r/--enable-coredumps"},
           {{"-k"}, "-k/--lock-memory"},
           {{"-f", "1.1"}, "-f/--slab-growth-factor"},
           {{"-n", "64"}, "-n/--slab-min-size"},
           {{"-L"}, "-L/--enable-largepages"},
           {{"-D", ":"}, "-D"},
           {{"-C"}, "-C/--disable-cas"},
           {{"-b", "10"}, "-b/--listen-backlog"},
           {{"-B", "ascii"}, "-B/--protocol"},
           {{"-S"}, "-S/--enable-sasl"},
           {{"-X"}, "-X/--disable-dumping"},
           {{"-Y", "f"}, "-Y/--auth-file"},
           {{"-e", "f"}, "-e/--memory-file"},
           {{"-W"}, "-W/--disable-watch"},
           {{"-Z"}, "-Z/--enable-ssl"},
           {{"-N", "2"}, "-N/--napi-ids"},
       }) {
    const auto out = Run(args);
    REQUIRE(out.action == LoadOutcome::kRun);
    INFO("flag " << name);
    CHECK(HasWarning(out.config, name));
  }
  // Implemented flags warn about nothing.
  CHECK(
      Run({"-M", "-d", "-P", "/tmp/x", "-u", "nobody", "-vv", "-A", "-F"}).config.warnings.empty());
}

TEST_CASE(
    "-A enables the shutdown command, -F refuses flush_all (memcached t/shutdown.t, flush-all.t)") {
  const auto defaults = Run({});
  CHECK_FALSE(defaults.config.commands.shutdown);
  CHECK(defaults.config.commands.flush_all);
  const auto flags = Run({"-A", "-F"});
  CHECK(flags.config.commands.shutdown);
  CHECK_FALSE(flags.config.commands.flush_all);
  const auto longs = Run({"--enable-shutdown", "--disable-flush-all"});
  CHECK(longs.config.commands.shutdown);
  CHECK_FALSE(longs.config.commands.flush_all);
}

TEST_CASE("-o: every memcached name is accepted with a warning naming it; unknown names fail") {
  const auto out = Run({"-o", "modern,hashpower=20,ext_path=/mnt/d1/extstore:1G,slab_sizes=96-128",
                        "-o", "no_lru_crawler,idle_timeout=30"});
  REQUIRE(out.action == LoadOutcome::kRun);
  for (const char* name : {"-o modern", "-o hashpower=20", "-o ext_path=/mnt/d1/extstore:1G",
                           "-o slab_sizes=96-128", "-o no_lru_crawler", "-o idle_timeout=30"}) {
    INFO(name);
    CHECK(HasWarning(out.config, name));
  }
  for (std::string_view name : kExtendedOptionNames) {
    const auto one = Run({"-o", std::string(name) + "=1"});
    INFO(name);
    CHECK(one.action == LoadOutcome::kRun);
  }
  CheckUsageError(Run({"-o", "modern,warp_drive=9"}),
                  {"\"warp_drive\"", "-o modern,warp_drive=9", "maxconns_fast"});
}

TEST_CASE("-h, -V and -i print and exit 0") {
  const auto help = Run({"-h"});
  CHECK(help.action == LoadOutcome::kExit);
  CHECK(help.exit_code == 0);
  CHECK(Contains(help.message, "Usage: kotoba-memd"));
  CHECK(Run({"--help"}).message == help.message);
  const auto version = Run({"-V"});
  CHECK(version.action == LoadOutcome::kExit);
  CHECK(version.exit_code == 0);
  CHECK(Contains(version.message, "kotoba-memd "));
  CHECK(Contains(version.message, "memcached 1.6.18"));
  CHECK(Run({"--version"}).message == version.message);
  const auto license = Run({"-i"});
  CHECK(license.exit_code == 0);
  CHECK(Contains(license.message, "LICENSE"));
}

TEST_CASE("--help lists every descriptor with its flags, default and allowed values") {
  const std::string help = HelpText();
  for (const Section& s : kSections) {
    for (const Descriptor& d : s.options) {
      INFO("key " << d.key);
      CHECK(Contains(help, std::string(d.key) + ": " + std::string(d.help)));
      if (d.short_flag != '\0') CHECK(Contains(help, std::string("-") + d.short_flag));
      if (!d.long_flag.empty()) CHECK(Contains(help, "--" + std::string(d.long_flag)));
      if (!d.default_text.empty()) {
        CHECK(Contains(help, "default: " + std::string(d.default_text)));
      }
    }
  }
  for (const FlagDescriptor& f : kFlags) {
    INFO("flag " << f.long_flag);
    if (f.action == FlagAction::kWarn) {
      // Ignored flags are named by letter only (see the next test).
      if (f.short_flag != '\0') CHECK(Contains(help, std::string(" -") + f.short_flag));
      continue;
    }
    if (f.short_flag != '\0') CHECK(Contains(help, std::string("  -") + f.short_flag));
    if (!f.long_flag.empty()) CHECK(Contains(help, "--" + std::string(f.long_flag)));
  }
}

TEST_CASE("--help claims no feature we lack (memcached's t/lib/MemcachedTest.pm reads -h)") {
  const std::string help = HelpText();
  for (const char* word : {"sasl", "ssl", "ext_path", "proxy_config"}) {
    INFO("word " << word);
    CHECK_FALSE(Contains(help, word));
  }
  CHECK(Contains(help, "unix-socket"));  // we do serve -s, which the harness then uses
  CHECK(Run({"-o", "relaxed_privileges"}).action == LoadOutcome::kRun);
}

TEST_CASE("--check-config: OK exits 0, a bad setting exits 2 with the error") {
  const auto ok = Run({"--check-config", "-p", "11500"});
  CHECK(ok.action == LoadOutcome::kExit);
  CHECK(ok.exit_code == 0);
  CHECK(ok.message == "configuration OK");
  CHECK(ok.config.check_only);
  CHECK(ok.config.listen.port == 11500);

  TempFile file("memory:\n  limit: 2\nitems:\n  max_size: 2m\n");
  const auto bad = Run({"--config", file.path(), "--check-config"});
  CheckUsageError(bad, {"1/2 of memory max"});
  CheckUsageError(Run({"--check-config", "--config", "/nonexistent.yaml"}), {"/nonexistent.yaml"});
}

TEST_CASE("every line of Debian's stock /etc/memcached.conf is accepted") {
  // Debian 12's memcached.conf, with its commented-out flags switched on as well.
  const std::string conf = R"(# memcached default config file
-d
logfile /var/log/memcached.log
-v
-vv
-m 64
-p 11211
-u memcache
-l 127.0.0.1
-c 1024
-k
-M
-r
-P /var/run/memcached/memcached.pid
)";
  std::vector<std::string> args = MemcachedConfArgs(conf);
  CHECK(args.front() == "-d");
  CHECK(std::find(args.begin(), args.end(), "--logfile") != args.end());
  const auto out = Run(args);
  INFO(out.message);
  REQUIRE(out.action == LoadOutcome::kRun);
  CHECK(out.config.daemonize);
  CHECK(out.config.log.file == "/var/log/memcached.log");
  CHECK(out.config.log.verbosity == 3u);
  CHECK(out.config.memory.limit == 64 * kMiB);
  CHECK(out.config.user == "memcache");
  CHECK(out.config.connections.max == 1024u);
  CHECK_FALSE(out.config.memory.evictions);
  CHECK(out.config.pid_file == "/var/run/memcached/memcached.pid");
  CHECK(HasWarning(out.config, "-k/--lock-memory"));
  CHECK(HasWarning(out.config, "-r/--enable-coredumps"));

  // Line by line too: each flag line is a valid command line on its own.
  std::istringstream lines(conf);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    INFO(line);
    CHECK(Run(MemcachedConfArgs(line)).action == LoadOutcome::kRun);
  }
}

TEST_CASE("stats settings: memcached's names, formats and order") {
  Config c;
  c.threads = 4;
  c.listen.port = 22122;
  const auto lines = SettingsLines(c);
  std::vector<std::string> names;
  for (const auto& [name, value] : lines) names.push_back(name);
  // memcached 1.6.18 `stats settings` order, restricted to the names we report.
  const std::vector<std::string> memcached_order = {
      "maxbytes", "maxconns", "tcpport", "udpport", "inter", "verbosity", "evictions",
      "domain_socket", "umask", "shutdown_command", "num_threads", "num_threads_per_udp",
      "stat_key_prefix", "detail_enabled", "reqs_per_event", "cas_enabled", "binding_protocol",
      "auth_enabled_sasl", "auth_enabled_ascii", "item_size_max", "maxconns_fast", "flush_enabled",
      "idle_timeout", "track_sizes", "ssl_enabled",
      // ours, after memcached's
      "eviction_policy", "memory_allocator", "huge_pages", "process_allocator", "rss_limit"};
  CHECK(names == memcached_order);
  auto value = [&](const std::string& name) {
    for (const auto& [n, v] : lines) {
      if (n == name) return v;
    }
    return std::string("<missing>");
  };
  CHECK(value("maxbytes") == "67108864");
  CHECK(value("maxconns") == "1024");
  CHECK(value("tcpport") == "22122");
  CHECK(value("udpport") == "0");
  CHECK(value("evictions") == "on");
  CHECK(value("domain_socket") == "NULL");
  CHECK(value("umask") == "700");
  CHECK(value("num_threads") == "4");
  CHECK(value("item_size_max") == "1048576");
  CHECK(value("cas_enabled") == "yes");
  CHECK(value("eviction_policy") == "adaptive");
  CHECK(value("memory_allocator") == "arena");
  CHECK(value("huge_pages") == "no");
  CHECK(value("process_allocator") == "system");
  c.memory.evictions = false;
  c.listen.unix_socket = "/tmp/s";
  c.listen.udp_port = 11211;
  CHECK(SettingsLines(c)[6].second == "off");
  CHECK(SettingsLines(c)[7].second == "/tmp/s");
  CHECK(SettingsLines(c)[3].second == "0");
}

TEST_CASE("DumpYaml writes every key and loads back to the same settings") {
  const auto first = Run({"-p", "11600", "-m", "3g", "-I", "2m", "-t", "5", "-u", "we \"quote\"",
                          "-a", "0750", "-M", "--admin-listen=[::1]:9999"});
  REQUIRE(first.action == LoadOutcome::kRun);
  const std::string yaml = DumpYaml(first.config);
  for (const Section& s : kSections) {
    for (const Descriptor& d : s.options) {
      const std::string leaf(s.name.empty() ? d.key : d.key.substr(s.name.size() + 1));
      INFO(d.key);
      CHECK(Contains(yaml, leaf + ": "));
    }
  }
  TempFile file(yaml);
  const auto second = Run({"--config", file.path()});
  INFO(yaml);
  REQUIRE(second.action == LoadOutcome::kRun);
  CHECK(DumpYaml(second.config) == yaml);
  CHECK(second.config.user == "we \"quote\"");
}

TEST_CASE("deploy/kotoba-memd.yaml names every key and loads to the built-in defaults") {
  const std::string path = std::string(KMD_SOURCE_DIR) + "/deploy/kotoba-memd.yaml";
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  for (const Section& s : kSections) {
    for (const Descriptor& d : s.options) {
      const std::string leaf(s.name.empty() ? d.key : d.key.substr(s.name.size() + 1));
      INFO(d.key);
      CHECK(Contains(text.str(), leaf + ":"));
    }
  }
  const auto out = Run({"--config", path});
  INFO(out.message);
  REQUIRE(out.action == LoadOutcome::kRun);
  CHECK(DumpYaml(out.config) == DumpYaml(Config{}));
}

TEST_CASE("profile: defaults, flag and YAML set the monitor; out-of-range values exit 2") {
  const auto defaults = Run({});
  REQUIRE(defaults.action == LoadOutcome::kRun);
  CHECK(defaults.config.profile.enabled);
  CHECK(defaults.config.profile.interval_ms == 1000);
  CHECK(defaults.config.profile.history == 3600);
  const auto flag = Run({"--profile-interval-ms", "50"});
  REQUIRE(flag.action == LoadOutcome::kRun);
  CHECK(flag.config.profile.interval_ms == 50);
  TempFile yaml("profile:\n  enabled: false\n  history: 10\n");
  const auto file = Run({"--config", yaml.path()});
  REQUIRE(file.action == LoadOutcome::kRun);
  CHECK_FALSE(file.config.profile.enabled);
  CHECK(file.config.profile.history == 10);
  CheckUsageError(Run({"--profile-interval-ms", "5"}), {"profile.interval_ms", "10..3600000"});
  TempFile tiny("profile:\n  history: 1\n");
  CheckUsageError(Run({"--config", tiny.path()}), {"profile.history"});
  TempFile bad("profile:\n  interval_ms: soon\n");
  CheckUsageError(Run({"--config", bad.path()}), {"profile.interval_ms"});
}

TEST_CASE("profile sampling and leak keys: defaults, flags, and errors name key, value, allowed") {
  const auto defaults = Run({});
  REQUIRE(defaults.action == LoadOutcome::kRun);
  CHECK(defaults.config.profile.sample_bytes == 64 * kKiB);
  CHECK(defaults.config.profile.leak_window == std::chrono::minutes(5));
  CHECK(defaults.config.profile.prefix_delimiter == ":");
  CHECK(defaults.config.debug.leak.empty());
  const auto flags = Run({"--profile-sample-bytes", "32KiB", "--profile-leak-window", "20s",
                          "--debug-leak", "a:64KiB,c:4096"});
  REQUIRE(flags.action == LoadOutcome::kRun);
  CHECK(flags.config.profile.sample_bytes == 32 * kKiB);
  CHECK(flags.config.profile.leak_window == std::chrono::seconds(20));
  CHECK(flags.config.debug.leak == "a:64KiB,c:4096");
  CheckUsageError(Run({"--debug-leak", "d:100"}), {"debug.leak", "\"d:100\"", "a, b, c"});
  CheckUsageError(Run({"--debug-leak", "a:0"}), {"debug.leak", "1..1GiB"});
  CheckUsageError(Run({"--debug-leak", "a:1k,a:2k"}), {"debug.leak", "each once"});
  CheckUsageError(Run({"--profile-leak-window", "500ms"}), {"profile.leak_window", "1s..24h"});
  TempFile delimiter("profile:\n  prefix_delimiter: \"\"\n");
  CheckUsageError(Run({"--config", delimiter.path()}), {"profile.prefix_delimiter", "1..4"});
}

TEST_CASE("ParseLeakRates reads SITE:RATE lists and rejects anything else") {
  const auto rates = ParseLeakRates("a:65536,b:16k,c:4KiB");
  REQUIRE(rates);
  REQUIRE(rates->size() == 3);
  CHECK(((*rates)[0].site == 'a' && (*rates)[0].bytes_per_second == 65536));
  CHECK(((*rates)[1].site == 'b' && (*rates)[1].bytes_per_second == 16384));
  CHECK(((*rates)[2].site == 'c' && (*rates)[2].bytes_per_second == 4096));
  CHECK(ParseLeakRates("")->empty());
  for (const char* bad : {"a", "a:", ":5", "ab:5", "a:5,", "a:5,,b:5", "a:-1", "x:5", "a:2g"}) {
    INFO(bad);
    CHECK_FALSE(ParseLeakRates(bad));
  }
}
