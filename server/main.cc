// kotoba-memd entry point: hands argv to config, starts the modules in layer order (store,
// profiler, dispatch, network, metrics, admin), stops them in reverse. Exit codes: 0 clean stop,
// 1 runtime failure (cannot listen, cannot drop privileges), 2 bad configuration (including a
// configured metrics.listen or admin.listen that cannot be bound).
#include <grp.h>
#include <pwd.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>

#ifdef KMD_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "config/config.h"
#include "config/load.h"
#include "core/cache/store.h"
#include "core/memory/process_env.h"
#include "core/reclaim/executor/rss_controller.h"
#include "server/admin/memory_endpoint.h"
#include "server/admin/metrics_endpoint.h"
#include "server/admin/metrics_listener.h"
#include "server/admin/profile_endpoint.h"
#include "server/admin/profiler.h"
#include "server/dispatch/dispatch_context.h"
#include "server/dispatch/memory_stats.h"
#include "server/dispatch/session_factory.h"
#include "server/net/net_server.h"

namespace {

using kmd::config::Config;

spdlog::level::level_enum LogLevel(const Config& config) {
  return spdlog::level::from_str(std::string(kmd::config::EffectiveLogLevel(config.log)));
}

bool Daemonize() {
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid > 0) _exit(0);
  if (setsid() < 0) return false;
  if (chdir("/") != 0) return false;
  FILE* null_in = std::freopen("/dev/null", "r", stdin);
  FILE* null_out = std::freopen("/dev/null", "w", stdout);
  FILE* null_err = std::freopen("/dev/null", "w", stderr);
  return null_in && null_out && null_err;
}

// Started as root: with -u drop to that user after binding; without, warn and keep running
// (memcached refuses to start; we choose to run but say so loudly).
bool DropPrivileges(const Config& config) {
  if (getuid() != 0 && geteuid() != 0) return true;
  if (config.user.empty()) {
    spdlog::warn("running as root without -u USER: consider an unprivileged user");
    return true;
  }
  passwd* pw = getpwnam(config.user.c_str());
  if (pw == nullptr) {
    spdlog::error("can't find the user {} to switch to", config.user);
    return false;
  }
  if (pw->pw_uid == 0) return true;
  if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
      setuid(pw->pw_uid) != 0) {
    spdlog::error("failed to assume the identity of user {}", config.user);
    return false;
  }
  return true;
}

// Enough descriptors for -c connections plus listeners and files (memcached does the same).
void RaiseFileLimit(size_t max_connections) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t want = max_connections + 64;
  if (rl.rlim_cur >= want) return;
  rl.rlim_cur = std::min<rlim_t>(want, rl.rlim_max);
  if (rl.rlim_max < want && getuid() == 0) rl.rlim_cur = rl.rlim_max = want;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
    spdlog::warn("cannot raise the file descriptor limit to {}", want);
  }
}

}  // namespace

int main(int argc, char** argv) {
  kmd::config::LoadOutcome outcome = kmd::config::Load(argc, argv);
  if (outcome.action == kmd::config::LoadOutcome::kExit) {
    std::FILE* out = outcome.exit_code == 0 ? stdout : stderr;
    std::fputs(outcome.message.c_str(), out);
    if (!outcome.message.empty() && outcome.message.back() != '\n') std::fputc('\n', out);
    return outcome.exit_code;
  }
  const Config& config = outcome.config;

  auto logger = spdlog::stderr_color_mt("kotoba-memd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(LogLevel(config));

  // Before anything else runs (and before threads exist): the process allocator is chosen by
  // re-executing with it preloaded (see core/memory/process_env.h).
  const auto process_allocator = kmd::memory::ParseProcessAllocator(config.memory.process_allocator)
                                     .value_or(kmd::memory::ProcessAllocator::kSystem);
  const auto page_source = kmd::memory::ParsePageSourceKind(config.memory.allocator)
                               .value_or(kmd::memory::PageSourceKind::kArena);
  const kmd::memory::LaunchCheck launch = kmd::memory::CheckLaunch(process_allocator, page_source);
  if (!launch.error.empty()) {
    spdlog::error("{}", launch.error);
    return 1;
  }
  if (launch.reexec) {
    spdlog::error("{}", kmd::memory::ReExec(process_allocator, page_source, argv));
    return 1;
  }
  if (!launch.warning.empty()) spdlog::warn("{}", launch.warning);
  for (const std::string& warning : config.warnings) spdlog::warn("{}", warning);

  if (config.daemonize && !Daemonize()) {
    spdlog::error("failed to daemonize");
    return 1;
  }
  RaiseFileLimit(config.connections.max);

  kmd::cache::StoreConfig store_config;
  store_config.memory_limit = config.memory.limit;
  store_config.max_item_size = config.items.max_size;
  store_config.page_size = kmd::config::EffectivePageSize(config.memory);
  store_config.evictions = config.memory.evictions;
  // The config layer validated the names against the same lists.
  store_config.policy =
      kmd::cache::policy::ParsePolicyKind(config.eviction.policy).value_or(store_config.policy);
  store_config.page_source = page_source;
  store_config.huge_pages = config.memory.huge_pages;
  std::unique_ptr<kmd::cache::Store> store_owner;
  try {
    store_owner = std::make_unique<kmd::cache::Store>(store_config);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  kmd::cache::Store& store = *store_owner;
  if (!store.page_source_warning().empty()) spdlog::warn("{}", store.page_source_warning());
  spdlog::info("item pages from {}, malloc from {}", config.memory.allocator,
               kmd::memory::ActiveMalloc());

  kmd::net::ServerCounters counters;
  counters.started_at = kmd::base::SystemClock::Instance().NowSeconds() - 2;
  counters.threads = config.threads;
  counters.max_connections = config.connections.max;

  kmd::dispatch::LatencyRecorder latency;
  kmd::dispatch::DispatchContext ctx;
  ctx.store = &store;
  ctx.counters = &counters;
  ctx.latency = &latency;
  ctx.limits.max_value = config.items.max_size;
  ctx.verbosity.store(config.log.verbosity);
  ctx.settings = [&config](kmd::dispatch::StatLines* out) {
    for (auto& line : kmd::config::SettingsLines(config)) out->push_back(line);
  };
  // The memory profiler (monitor, allocation sampler, leak detector): sampling starts with the
  // listeners, below. Declared before the network server, whose workers call its hooks.
  std::unique_ptr<kmd::admin::Profiler> profiler;
  if (config.profile.enabled) {
    // The workers' pools (counters.buffer_stats is set once the NetServer exists, before the
    // monitor starts).
    profiler = std::make_unique<kmd::admin::Profiler>(
        config.profile, store, [&counters] { return kmd::dispatch::BufferAccounting(counters); });
    ctx.memory_monitor = &profiler->monitor();
  }
  std::unique_ptr<kmd::dispatch::DebugLeak> debug_leak;
  if (!config.debug.leak.empty()) {
    debug_leak = std::make_unique<kmd::dispatch::DebugLeak>(
        kmd::config::ParseLeakRates(config.debug.leak)
            .value_or(std::vector<kmd::config::LeakRate>{}));
    ctx.debug_leak = debug_leak.get();
    spdlog::warn("debug.leak {}: leaking memory on purpose on every request", config.debug.leak);
  }
  // memory.rss_limit: the controller, the shrinkers it may call (the network layer's copies
  // register below) and the admission flag the connections read.
  kmd::base::ShrinkerRegistry shrinkers;
  kmd::base::MemoryPressure pressure;
  std::unique_ptr<kmd::reclaim::RssController> rss_controller;
  if (const uint64_t rss_limit = kmd::config::EffectiveRssLimit(config.memory); rss_limit != 0) {
    kmd::reclaim::RssControllerOptions options;
    options.limit = rss_limit;
    rss_controller =
        std::make_unique<kmd::reclaim::RssController>(store, shrinkers, pressure, options);
    ctx.rss_controller = rss_controller.get();
    spdlog::info("rss limit {} MiB (item budget {} MiB at most)", rss_limit >> 20,
                 config.memory.limit >> 20);
  }
  kmd::dispatch::DispatchSessionFactory factory(ctx);

  kmd::net::NetConfig net_config;
  net_config.address = config.listen.address;
  net_config.port = config.listen.port;
  net_config.unix_socket = config.listen.unix_socket;
  net_config.unix_mask = config.listen.unix_mask;
  net_config.threads = config.threads;
  net_config.max_connections = config.connections.max;
  // The headroom memcached keeps (5, plus 5 per worker thread), so that -c admits as many clients
  // here as there; it also covers what we hold ourselves (stdio, listener, epoll + eventfd each).
  net_config.reserved_fds = 5 + 5 * config.threads;
  net_config.drain_deadline =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.connections.drain_timeout);
  net_config.buffer_pool_bytes = config.connections.buffer_pool_bytes;
  net_config.limits.max_buffer = config.items.max_size + 64 * 1024;
  if (net_config.limits.max_buffer < ctx.limits.max_multiget_line + 1024) {
    net_config.limits.max_buffer = ctx.limits.max_multiget_line + 1024;
  }
  net_config.worker_tick = [&store] { store.FlushThreadCache(); };
  if (rss_controller) {
    net_config.limits.pressure = &pressure;
    net_config.shrinkers = &shrinkers;
  }
  kmd::net::NetServer server(net_config, factory, counters);
  try {
    server.Bind();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  // Declared before the listener, which is destroyed (its thread stopped) first.
  const kmd::admin::MetricsEndpoint metrics_endpoint(
      {&store, &counters, &latency, profiler ? &profiler->leaks() : nullptr,
       rss_controller.get()});
  kmd::admin::MetricsListener metrics =
      kmd::admin::OpenMetricsListener(config.metrics, kmd::config::MetricsConfig{}.listen);
  kmd::admin::HttpListener admin =
      kmd::admin::OpenAdminListener(config.admin, kmd::config::AdminConfig{}.listen);
  for (const kmd::admin::HttpListener* listener : {&metrics, &admin}) {
    if (listener->outcome == kmd::admin::HttpListener::kFailed) {
      spdlog::error("{}", listener->message);
      return kmd::config::kExitUsage;
    }
    if (listener->outcome == kmd::admin::HttpListener::kDefaultTaken) {
      spdlog::warn("{}", listener->message);
    }
  }
  // The pid file is written while still privileged (it usually lives in a root-owned dir).
  if (!config.pid_file.empty()) {
    std::ofstream pid_file(config.pid_file);
    pid_file << getpid() << "\n";
    if (!pid_file) spdlog::warn("could not write pid file {}", config.pid_file);
  }
  if (!DropPrivileges(config)) return 1;
  ctx.flush_enabled = config.commands.flush_all;
  ctx.reqs_per_event = config.connections.reqs_per_event;
  // memcached serves `shutdown` only with -A.
  if (config.commands.shutdown) ctx.shutdown = [&server] { server.RequestShutdown(); };
  server.on_reload = [] { spdlog::info("SIGHUP: nothing to reload in this version"); };

  if (config.listen.unix_socket.empty()) {
    spdlog::info("kotoba-memd {} listening on {}:{} ({} threads, {} MiB)",
                 kmd::dispatch::kKotobaVersion, config.listen.address, server.bound_port(),
                 config.threads, config.memory.limit >> 20);
  } else {
    spdlog::info("kotoba-memd {} listening on unix socket {}", kmd::dispatch::kKotobaVersion,
                 config.listen.unix_socket);
  }
  if (metrics.server) {
    kmd::admin::ServeMetrics(*metrics.server, metrics_endpoint);
    metrics.server->Start();
    spdlog::info("metrics on {}", metrics.url);
  }
  if (profiler) profiler->Start();
  if (rss_controller) rss_controller->Start();
  if (admin.server) {
    if (profiler) {
      kmd::admin::ServeMemory(*admin.server, profiler->monitor());
      kmd::admin::ServeProfile(*admin.server, profiler->leaks(), profiler->heap());
    }
    admin.server->Start();
    spdlog::info("admin on {}", admin.url);
  }
#ifdef KMD_HAVE_SYSTEMD
  sd_notify(0, "READY=1");
#endif
  server.Run();
  if (admin.server) admin.server->Stop();
  if (metrics.server) metrics.server->Stop();
  if (profiler) profiler->Stop();
  if (rss_controller) rss_controller->Stop();
#ifdef KMD_HAVE_SYSTEMD
  sd_notify(0, "STOPPING=1");
#endif
  if (!config.pid_file.empty()) unlink(config.pid_file.c_str());
  spdlog::info("stopped");
  return 0;
}
