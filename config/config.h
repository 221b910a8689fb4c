// The Config value: every setting the daemon reads at start-up, one struct per section.
// A plain value type: copy it freely; no locking (build it once in main, then hand out const refs).
// Invariant after kmd::config::Load() returned kRun: every field passed validation (ranges and the
// cross-field rules, e.g. items.max_size <= memory.limit / 2). Defaults here must match the
// default_text column of the descriptor tables in options.h (a unit test holds them together).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace kmd::config {

inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * kKiB;
inline constexpr uint64_t kGiB = 1024 * kMiB;

// std::thread::hardware_concurrency(), at least 1 (it may report 0 when unknown).
uint32_t DefaultThreads();

struct ListenConfig {
  std::string address = "127.0.0.1";  // -l; memcached's default is every interface, ours is not
  uint16_t port = 11211;              // -p; 0 lets the kernel pick
  uint16_t udp_port = 0;              // -U; UDP is never served, non-zero only warns
  std::string unix_socket;            // -s; non-empty disables TCP, as in memcached
  uint32_t unix_mask = 0700;          // -a; permission bits of the unix socket
};

struct MemoryConfig {
  uint64_t limit = 64 * kMiB;       // -m, bytes: the RAM tier's budget (see DESIGN.md "Memory")
  bool evictions = true;            // -M turns it off: answer out-of-memory instead of evicting
  uint64_t page_size = 0;           // slab page bytes; 0 = auto (see EffectivePageSize in load.h)
  std::string allocator = "arena";  // item pages: arena | system | jemalloc | mimalloc
  bool huge_pages = false;          // arena only: MAP_HUGETLB pages (else THP advice)
  std::string process_allocator = "system";  // malloc for the rest: system | jemalloc | mimalloc
  // RSS the process is held under (core/reclaim): 0 = off; see EffectiveRssLimit for `auto`.
  uint64_t rss_limit = 0;
  bool rss_limit_auto = false;
};

// What memory.rss_limit allows on top of -m, at the least, for buffers, pools, the index's
// neighbours and the program itself (a lower limit is a configuration error) ...
inline constexpr uint64_t kRssMinAllowance = 16 * kMiB;
// ... and what `auto` allows: max(64 MiB, -m / 4).
inline constexpr uint64_t kRssAutoAllowance = 64 * kMiB;
// memory.rss_limit in bytes: 0 when off; `auto` = memory.limit + max(64 MiB, memory.limit / 4).
inline uint64_t EffectiveRssLimit(const MemoryConfig& m) {
  if (m.rss_limit_auto) return m.limit + std::max(kRssAutoAllowance, m.limit / 4);
  return m.rss_limit;
}

struct ConnectionsConfig {
  uint32_t max = 1024;                            // -c
  std::chrono::milliseconds drain_timeout{5000};  // SIGTERM: time to finish in-flight requests
  uint32_t reqs_per_event = 20;  // -R: requests served per read before other connections' turn
  uint64_t buffer_pool_bytes = 4 * kMiB;  // idle buffer bytes each worker's pool keeps
};

struct ItemsConfig {
  uint64_t max_size = kMiB;  // -I, bytes: key + value + metadata of one item
};

struct LogConfig {
  std::string level = "info";  // spdlog level name: trace, debug, info, warn, error, critical, off
  uint32_t verbosity = 0;      // -v / -vv / -vvv (0..3); see EffectiveLogLevel() in load.h
  std::string file;            // empty: stderr
};

// Which eviction policy orders each slab class's items (core/cache/policy).
struct EvictionConfig {
  // adaptive | lru | lfu | fifo | s3fifo | sieve | wtinylfu | clock
  std::string policy = "adaptive";
};

struct MetricsConfig {
  bool enabled = true;
  std::string listen = "127.0.0.1:9150";  // HOST:PORT of the Prometheus /metrics endpoint
};

struct AdminConfig {
  bool enabled = true;
  std::string listen = "127.0.0.1:9151";  // HOST:PORT of the /debug/* endpoints
};

// The memory profiler's live monitor (core/profile): samples RSS and its split on its own thread.
struct ProfileConfig {
  bool enabled = true;
  uint32_t interval_ms = 1000;         // between samples
  uint32_t history = 3600;             // samples kept (the ring buffer behind /debug/memory)
  // Mean bytes between allocation samples; 0: no sampling. Denser than tcmalloc's 2 MiB or
  // jemalloc's 512 KiB: the steady state allocates little, and a 4 KiB/s leak needs ~20 samples
  // in the default 5-minute window to be judged.
  uint64_t sample_bytes = 64 * kKiB;
  std::chrono::milliseconds leak_window{300 * 1000};  // the leak detector's trend window
  std::string prefix_delimiter = ":";  // /debug/heap's key prefixes end at its first occurrence
};

// Debugging aids for tests; all off by default.
struct DebugConfig {
  // "SITE:BYTES_PER_SECOND,..." (SITE a, b or c): a deliberate leak on the request path, for the
  // leak detector's tests. Empty: off. ParseLeakRates (values.h) reads it.
  std::string leak;
};

// Text-protocol commands memcached gates behind flags.
struct CommandsConfig {
  bool shutdown = false;  // -A: the `shutdown` command stops the daemon (memcached's default: off)
  bool flush_all =
      true;  // -F turns it off: `flush_all` answers "CLIENT_ERROR flush_all not allowed"
};

struct Config {
  ListenConfig listen;
  MemoryConfig memory;
  ConnectionsConfig connections;
  uint32_t threads = DefaultThreads();  // -t
  ItemsConfig items;
  EvictionConfig eviction;
  LogConfig log;
  std::string user;        // -u; drop privileges to this user after binding
  bool daemonize = false;  // -d
  std::string pid_file;    // -P
  MetricsConfig metrics;
  AdminConfig admin;
  ProfileConfig profile;
  CommandsConfig commands;
  DebugConfig debug;

  // Not settings: what the command line asked for.
  bool check_only = false;  // --check-config
  std::string config_path;  // --config FILE, empty when none
  // Accepted-but-ignored memcached flags and settings that have no effect here, one sentence
  // each naming the flag; main logs them once at start-up.
  std::vector<std::string> warnings;
};

}  // namespace kmd::config

// One include gives the value and the API that builds it (Load, SettingsLines, ...).
#include "config/load.h"  // IWYU pragma: export
