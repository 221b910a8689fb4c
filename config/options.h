// The descriptor tables: one constexpr table per Config section (YAML key, type, default, unit,
// range, memcached flag, help, and how to set/read the field), plus the memcached flags that map
// to no setting and the names memcached accepts after -o. YAML keys, command-line flags, --help,
// --check-config and the example deploy/kotoba-memd.yaml all derive from these tables.
// Immutable, thread-safe. Invariants (held by tests): no flag appears twice; every default_text
// parses to the default in config.h and get(Config{}) prints it back.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/values.h"

namespace kmd::config {

enum class ValueType {
  kBool,      // flag form takes no argument and sets true
  kUint,      // decimal integer in [min, max]
  kSize,      // bytes; suffixes per ParseSize, a bare number times bare_unit
  kDuration,  // milliseconds held, min/max in milliseconds
  kString,
  kOctal,       // permission bits
  kEnum,        // one of the '|'-separated choices
  kHostPort,    // HOST:PORT
  kSizeOrWord,  // a size as kSize, or one of the '|'-separated words in choices (text = the word)
};

// A parsed, range-checked value; only the member matching the descriptor's type is meaningful.
struct Value {
  uint64_t number = 0;  // kUint, kSize, kDuration (ms), kOctal
  bool boolean = false;
  std::string text;  // kString, kEnum, kHostPort
};

using Setter = void (*)(Config&, const Value&);
using Getter = std::string (*)(const Config&);

struct Descriptor {
  std::string_view key;  // dotted YAML path, e.g. "listen.port"
  ValueType type;
  std::string_view default_text;  // canonical form, as get() prints it
  std::string_view unit;          // for --help, e.g. "bytes; a bare number is MiB"
  uint64_t min = 0;
  uint64_t max = std::numeric_limits<uint64_t>::max();
  uint64_t bare_unit = 1;      // kSize: multiplier for a number without suffix
  std::string_view choices;    // kEnum
  char short_flag = '\0';      // memcached's short flag, '\0' if none
  std::string_view long_flag;  // without "--", empty if none
  std::string_view arg_name;   // "<num>" in --help
  std::string_view help;
  Setter set = nullptr;
  Getter get = nullptr;
  bool computed_default = false;  // default depends on the machine (threads)
};

struct Section {
  std::string_view name;  // YAML mapping name; empty for top-level keys
  std::string_view help;
  std::span<const Descriptor> options;
};

inline std::string BoolText(bool b) { return b ? "true" : "false"; }

// g++ 12 warns about members left to their defaults in designated initializers (fixed in g++ 13);
// leaving them out is the point of the defaults, so the warning is silenced for the tables only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
// clang-format off
inline constexpr std::array<Descriptor, 5> kListenOptions{{
    {.key = "listen.address", .type = ValueType::kString, .default_text = "127.0.0.1",
     .unit = "address", .short_flag = 'l', .long_flag = "listen", .arg_name = "<addr>",
     .help = "interface to listen on (memcached's default is every interface; ours is loopback)",
     .set = [](Config& c, const Value& v) { c.listen.address = v.text; },
     .get = [](const Config& c) { return c.listen.address; }},
    {.key = "listen.port", .type = ValueType::kUint, .default_text = "11211", .unit = "port",
     .min = 0, .max = 65535, .short_flag = 'p', .long_flag = "port", .arg_name = "<num>",
     .help = "TCP port to listen on (0: the kernel picks one)",
     .set = [](Config& c, const Value& v) { c.listen.port = static_cast<uint16_t>(v.number); },
     .get = [](const Config& c) { return std::to_string(c.listen.port); }},
    {.key = "listen.udp_port", .type = ValueType::kUint, .default_text = "0", .unit = "port",
     .min = 0, .max = 65535, .short_flag = 'U', .long_flag = "udp-port", .arg_name = "<num>",
     .help = "accepted for memcached compatibility; UDP is never served (non-zero warns)",
     .set = [](Config& c, const Value& v) { c.listen.udp_port = static_cast<uint16_t>(v.number); },
     .get = [](const Config& c) { return std::to_string(c.listen.udp_port); }},
    {.key = "listen.unix_socket", .type = ValueType::kString, .default_text = "",
     .unit = "path", .short_flag = 's', .long_flag = "unix-socket", .arg_name = "<file>",
     .help = "UNIX socket to listen on instead of TCP (empty: TCP)",
     .set = [](Config& c, const Value& v) { c.listen.unix_socket = v.text; },
     .get = [](const Config& c) { return c.listen.unix_socket; }},
    {.key = "listen.unix_mask", .type = ValueType::kOctal, .default_text = "0700",
     .unit = "octal mode", .min = 0, .max = 0777, .short_flag = 'a', .long_flag = "unix-mask",
     .arg_name = "<mask>", .help = "access mask for the UNIX socket, in octal",
     .set = [](Config& c, const Value& v) { c.listen.unix_mask = static_cast<uint32_t>(v.number); },
     .get = [](const Config& c) { return FormatOctalMode(c.listen.unix_mask); }},
}};

inline constexpr std::array<Descriptor, 7> kMemoryOptions{{
    {.key = "memory.limit", .type = ValueType::kSize, .default_text = "64MiB",
     .unit = "bytes; a bare number means MiB, as memcached's -m", .min = kMiB,
     .max = 1ull << 50, .bare_unit = kMiB, .short_flag = 'm', .long_flag = "memory-limit",
     .arg_name = "<size>", .help = "item memory (the RAM tier's budget)",
     .set = [](Config& c, const Value& v) { c.memory.limit = v.number; },
     .get = [](const Config& c) { return FormatSize(c.memory.limit); }},
    {.key = "memory.page_size", .type = ValueType::kSize, .default_text = "0B",
     .unit = "bytes; 0 = auto", .min = 0, .max = kMiB, .long_flag = "slab-page-size",
     .arg_name = "<size>",
     .help = "slab page: a power of two, 64KiB..1MiB; 0 (auto) = memory.limit / 1024 within "
             "that range, so that every slab class in use costs little even at a small -m",
     .set = [](Config& c, const Value& v) { c.memory.page_size = v.number; },
     .get = [](const Config& c) { return FormatSize(c.memory.page_size); }},
    {.key = "memory.evictions", .type = ValueType::kBool, .default_text = "true",
     .unit = "bool",
     .help = "evict when memory is full; false answers out-of-memory instead (memcached -M)",
     .set = [](Config& c, const Value& v) { c.memory.evictions = v.boolean; },
     .get = [](const Config& c) { return BoolText(c.memory.evictions); }},
    {.key = "memory.allocator", .type = ValueType::kEnum, .default_text = "arena",
     .unit = "page source", .choices = "arena|system|jemalloc|mimalloc",
     .long_flag = "memory-allocator", .arg_name = "<name>",
     .help = "where item pages come from: one mmap reservation (arena), glibc, or jemalloc or "
             "mimalloc loaded privately (the process's malloc stays as it is)",
     .set = [](Config& c, const Value& v) { c.memory.allocator = v.text; },
     .get = [](const Config& c) { return c.memory.allocator; }},
    {.key = "memory.huge_pages", .type = ValueType::kBool, .default_text = "false",
     .unit = "bool", .long_flag = "huge-pages",
     .help = "arena only: reserve 2 MiB huge pages (MAP_HUGETLB); refused by the kernel, warn and "
             "use transparent huge pages (false: transparent huge pages are only advised)",
     .set = [](Config& c, const Value& v) { c.memory.huge_pages = v.boolean; },
     .get = [](const Config& c) { return BoolText(c.memory.huge_pages); }},
    {.key = "memory.process_allocator", .type = ValueType::kEnum, .default_text = "system",
     .unit = "allocator", .choices = "system|jemalloc|mimalloc",
     .long_flag = "process-allocator", .arg_name = "<name>",
     .help = "malloc for everything but item pages (buffers, parsing); jemalloc or mimalloc: "
             "the daemon re-executes itself once with the library in LD_PRELOAD",
     .set = [](Config& c, const Value& v) { c.memory.process_allocator = v.text; },
     .get = [](const Config& c) { return c.memory.process_allocator; }},
    {.key = "memory.rss_limit", .type = ValueType::kSizeOrWord, .default_text = "off",
     .unit = "bytes; a bare number means bytes", .min = 0, .max = 1ull << 50, .bare_unit = 1,
     .choices = "off|auto", .long_flag = "rss-limit", .arg_name = "<size|auto|off>",
     .help = "hold the process's RSS under this: near it, buffer pools are shrunk, free memory "
             "is purged, then the item budget is lowered (and raised back when there is room); "
             "at least -m + 16MiB; auto = -m + max(64MiB, -m/4); off or 0: no limit",
     .set = [](Config& c, const Value& v) {
       c.memory.rss_limit_auto = v.text == "auto";
       c.memory.rss_limit = v.text.empty() ? v.number : 0;
     },
     .get = [](const Config& c) {
       return c.memory.rss_limit_auto   ? std::string("auto")
              : c.memory.rss_limit == 0 ? std::string("off")
                                        : FormatSize(c.memory.rss_limit);
     }},
}};

inline constexpr std::array<Descriptor, 4> kConnectionsOptions{{
    {.key = "connections.max", .type = ValueType::kUint, .default_text = "1024",
     .unit = "connections", .min = 1, .max = 1u << 20, .short_flag = 'c',
     .long_flag = "conn-limit", .arg_name = "<num>",
     .help = "max simultaneous connections; beyond it a new connection is accepted and closed",
     .set = [](Config& c, const Value& v) { c.connections.max = static_cast<uint32_t>(v.number); },
     .get = [](const Config& c) { return std::to_string(c.connections.max); }},
    {.key = "connections.drain_timeout", .type = ValueType::kDuration, .default_text = "5s",
     .unit = "duration; ms, s, m, h (a bare number means seconds)", .min = 0,
     .max = 3600 * 1000,
     .help = "on SIGTERM/SIGINT, how long in-flight requests may take before exit",
     .set = [](Config& c, const Value& v) {
       c.connections.drain_timeout = std::chrono::milliseconds(static_cast<int64_t>(v.number));
     },
     .get = [](const Config& c) { return FormatDuration(c.connections.drain_timeout); }},
    {.key = "connections.reqs_per_event", .type = ValueType::kUint, .default_text = "20",
     .unit = "requests", .min = 1, .max = 1u << 20, .short_flag = 'R',
     .long_flag = "max-reqs-per-event", .arg_name = "<num>",
     .help = "requests served from one connection's read before the worker serves others "
             "(their output still leaves in one write per batch; counted as conn_yields)",
     .set = [](Config& c,
               const Value& v) { c.connections.reqs_per_event = static_cast<uint32_t>(v.number); },
     .get = [](const Config& c) { return std::to_string(c.connections.reqs_per_event); }},
    {.key = "connections.buffer_pool_bytes", .type = ValueType::kSize, .default_text = "4MiB",
     .unit = "bytes; a bare number means bytes", .min = 0, .max = kGiB, .bare_unit = 1,
     .help = "idle connection buffers each worker keeps for reuse (0..1GiB; outside "
             "memory.limit); buffers past it go back to the system",
     .set = [](Config& c, const Value& v) { c.connections.buffer_pool_bytes = v.number; },
     .get = [](const Config& c) { return FormatSize(c.connections.buffer_pool_bytes); }},
}};

inline constexpr std::array<Descriptor, 1> kItemsOptions{{
    {.key = "items.max_size", .type = ValueType::kSize, .default_text = "1MiB",
     .unit = "bytes; a bare number means bytes", .min = kKiB, .max = kGiB, .bare_unit = 1,
     .short_flag = 'I', .long_flag = "max-item-size", .arg_name = "<size>",
     .help = "max item size (1KiB..1GiB, at most half of memory.limit)",
     .set = [](Config& c, const Value& v) { c.items.max_size = v.number; },
     .get = [](const Config& c) { return FormatSize(c.items.max_size); }},
}};

inline constexpr std::array<Descriptor, 3> kLogOptions{{
    {.key = "log.level", .type = ValueType::kEnum, .default_text = "info", .unit = "level",
     .choices = "trace|debug|info|warn|error|critical|off",
     .help = "log level; -v makes it at least info, -vv debug, -vvv trace",
     .set = [](Config& c, const Value& v) { c.log.level = v.text; },
     .get = [](const Config& c) { return c.log.level; }},
    {.key = "log.verbosity", .type = ValueType::kUint, .default_text = "0", .unit = "0..3",
     .min = 0, .max = 3,
     .help = "memcached verbosity; -v, -vv, -vvv (or repeated -v, --verbose) set 1, 2, 3",
     .set = [](Config& c, const Value& v) { c.log.verbosity = static_cast<uint32_t>(v.number); },
     .get = [](const Config& c) { return std::to_string(c.log.verbosity); }},
    {.key = "log.file", .type = ValueType::kString, .default_text = "", .unit = "path",
     .long_flag = "logfile", .arg_name = "<file>",
     .help = "append the log to this file (empty: stderr); the `logfile` line of Debian's "
             "memcached.conf",
     .set = [](Config& c, const Value& v) { c.log.file = v.text; },
     .get = [](const Config& c) { return c.log.file; }},
}};

inline constexpr std::array<Descriptor, 2> kMetricsOptions{{
    {.key = "metrics.enabled", .type = ValueType::kBool, .default_text = "true", .unit = "bool",
     .help = "serve Prometheus metrics at http://<metrics.listen>/metrics",
     .set = [](Config& c, const Value& v) { c.metrics.enabled = v.boolean; },
     .get = [](const Config& c) { return BoolText(c.metrics.enabled); }},
    {.key = "metrics.listen", .type = ValueType::kHostPort, .default_text = "127.0.0.1:9150",
     .unit = "HOST:PORT", .long_flag = "metrics-listen", .arg_name = "<host:port>",
     .help = "address of the metrics endpoint",
     .set = [](Config& c, const Value& v) { c.metrics.listen = v.text; },
     .get = [](const Config& c) { return c.metrics.listen; }},
}};

inline constexpr std::array<Descriptor, 2> kAdminOptions{{
    {.key = "admin.enabled", .type = ValueType::kBool, .default_text = "true", .unit = "bool",
     .help = "serve the /debug/* admin endpoints",
     .set = [](Config& c, const Value& v) { c.admin.enabled = v.boolean; },
     .get = [](const Config& c) { return BoolText(c.admin.enabled); }},
    {.key = "admin.listen", .type = ValueType::kHostPort, .default_text = "127.0.0.1:9151",
     .unit = "HOST:PORT", .long_flag = "admin-listen", .arg_name = "<host:port>",
     .help = "address of the admin endpoints",
     .set = [](Config& c, const Value& v) { c.admin.listen = v.text; },
     .get = [](const Config& c) { return c.admin.listen; }},
}};

inline constexpr std::array<Descriptor, 6> kProfileOptions{{
    {.key = "profile.enabled", .type = ValueType::kBool, .default_text = "true", .unit = "bool",
     .help = "run the live memory monitor (/debug/memory on the admin listener, `stats memory`)",
     .set = [](Config& c, const Value& v) { c.profile.enabled = v.boolean; },
     .get = [](const Config& c) { return BoolText(c.profile.enabled); }},
    {.key = "profile.interval_ms", .type = ValueType::kUint, .default_text = "1000",
     .unit = "milliseconds", .min = 10, .max = 3600 * 1000, .long_flag = "profile-interval-ms",
     .arg_name = "<ms>", .help = "time between two memory samples (10 ms .. 1 h)",
     .set = [](Config& c,
               const Value& v) { c.profile.interval_ms = static_cast<uint32_t>(v.number); },
     .get = [](const Config& c) { return std::to_string(c.profile.interval_ms); }},
    {.key = "profile.history", .type = ValueType::kUint, .default_text = "3600", .unit = "samples",
     .min = 2, .max = 1u << 20,
     .help = "memory samples kept for /debug/memory (3600 at 1000 ms: one hour)",
     .set = [](Config& c, const Value& v) { c.profile.history = static_cast<uint32_t>(v.number); },
     .get = [](const Config& c) { return std::to_string(c.profile.history); }},
    {.key = "profile.sample_bytes", .type = ValueType::kSize, .default_text = "64KiB",
     .unit = "bytes; a bare number means bytes", .min = 0, .max = kGiB, .bare_unit = 1,
     .long_flag = "profile-sample-bytes", .arg_name = "<size>",
     .help = "mean bytes allocated between two sampled allocations (exponential intervals; "
             "/debug/heap, /debug/leaks by call site); 0 turns allocation sampling off",
     .set = [](Config& c, const Value& v) { c.profile.sample_bytes = v.number; },
     .get = [](const Config& c) { return FormatSize(c.profile.sample_bytes); }},
    {.key = "profile.leak_window", .type = ValueType::kDuration, .default_text = "5m",
     .unit = "duration; ms, s, m, h (a bare number means seconds)", .min = 1000,
     .max = 24 * 3600 * 1000, .long_flag = "profile-leak-window", .arg_name = "<duration>",
     .help = "span of recent memory samples the leak detector judges for steady growth (it keeps "
             "its own points, independent of profile.history)",
     .set = [](Config& c, const Value& v) {
       c.profile.leak_window = std::chrono::milliseconds(static_cast<int64_t>(v.number));
     },
     .get = [](const Config& c) { return FormatDuration(c.profile.leak_window); }},
    {.key = "profile.prefix_delimiter", .type = ValueType::kString, .default_text = ":",
     .unit = "characters",
     .help = "/debug/heap groups item writes by key prefix: the key up to the first of these "
             "characters (1..4 characters)",
     .set = [](Config& c, const Value& v) { c.profile.prefix_delimiter = v.text; },
     .get = [](const Config& c) { return c.profile.prefix_delimiter; }},
}};

inline constexpr std::array<Descriptor, 1> kDebugOptions{{
    {.key = "debug.leak", .type = ValueType::kString, .default_text = "", .unit = "sites",
     .long_flag = "debug-leak", .arg_name = "<site:rate,...>",
     .help = "for tests of the leak detector: leak RATE bytes per second at SITE (a, b or c) on "
             "the request path, e.g. \"a:64KiB,b:16KiB\"; empty: off",
     .set = [](Config& c, const Value& v) { c.debug.leak = v.text; },
     .get = [](const Config& c) { return c.debug.leak; }},
}};

inline constexpr std::array<Descriptor, 2> kCommandsOptions{{
    {.key = "commands.shutdown", .type = ValueType::kBool, .default_text = "false",
     .unit = "bool", .help = "allow the text `shutdown` command to stop the daemon (memcached -A)",
     .set = [](Config& c, const Value& v) { c.commands.shutdown = v.boolean; },
     .get = [](const Config& c) { return BoolText(c.commands.shutdown); }},
    {.key = "commands.flush_all", .type = ValueType::kBool, .default_text = "true", .unit = "bool",
     .help = "serve flush_all; false refuses it (memcached -F)",
     .set = [](Config& c, const Value& v) { c.commands.flush_all = v.boolean; },
     .get = [](const Config& c) { return BoolText(c.commands.flush_all); }},
}};

inline constexpr std::array<Descriptor, 1> kEvictionOptions{{
    {.key = "eviction.policy", .type = ValueType::kEnum, .default_text = "adaptive",
     .unit = "policy", .choices = "adaptive|lru|lfu|fifo|s3fifo|sieve|wtinylfu|clock",
     .long_flag = "eviction-policy", .arg_name = "<policy>",
     .help = "how each slab class picks what to evict (adaptive: learns the best of the others)",
     .set = [](Config& c, const Value& v) { c.eviction.policy = v.text; },
     .get = [](const Config& c) { return c.eviction.policy; }},
}};

inline constexpr std::array<Descriptor, 4> kGeneralOptions{{
    {.key = "threads", .type = ValueType::kUint, .default_text = "number of cores",
     .unit = "threads", .min = 1, .max = 1024, .short_flag = 't', .long_flag = "threads",
     .arg_name = "<num>", .help = "worker threads, each with its own event loop",
     .set = [](Config& c, const Value& v) { c.threads = static_cast<uint32_t>(v.number); },
     .get = [](const Config& c) { return std::to_string(c.threads); },
     .computed_default = true},
    {.key = "user", .type = ValueType::kString, .default_text = "", .unit = "user name",
     .short_flag = 'u', .long_flag = "user", .arg_name = "<user>",
     .help = "drop root privileges to this user after binding",
     .set = [](Config& c, const Value& v) { c.user = v.text; },
     .get = [](const Config& c) { return c.user; }},
    {.key = "daemonize", .type = ValueType::kBool, .default_text = "false", .unit = "bool",
     .short_flag = 'd', .long_flag = "daemon", .help = "run as a daemon (fork, setsid)",
     .set = [](Config& c, const Value& v) { c.daemonize = v.boolean; },
     .get = [](const Config& c) { return BoolText(c.daemonize); }},
    {.key = "pid_file", .type = ValueType::kString, .default_text = "", .unit = "path",
     .short_flag = 'P', .long_flag = "pidfile", .arg_name = "<file>",
     .help = "write the process id to this file",
     .set = [](Config& c, const Value& v) { c.pid_file = v.text; },
     .get = [](const Config& c) { return c.pid_file; }},
}};
// clang-format on
#pragma GCC diagnostic pop

inline constexpr std::array<Section, 12> kSections{{
    {"", "general", kGeneralOptions},
    {"listen", "where memcached clients connect", kListenOptions},
    {"memory", "the RAM tier", kMemoryOptions},
    {"connections", "client connections", kConnectionsOptions},
    {"items", "item limits", kItemsOptions},
    {"eviction", "eviction policy", kEvictionOptions},
    {"log", "logging", kLogOptions},
    {"metrics", "Prometheus exporter", kMetricsOptions},
    {"admin", "admin HTTP endpoints", kAdminOptions},
    {"profile", "memory profiler", kProfileOptions},
    {"commands", "protocol commands memcached gates behind flags", kCommandsOptions},
    {"debug", "debugging aids for tests (all off by default)", kDebugOptions},
}};

// memcached 1.6.18 flags that map to no descriptor: actions, and flags accepted for compatibility
// whose behaviour kotoba-memd does not have (they add a warning to Config::warnings).
enum class FlagAction {
  kWarn,              // accepted, ignored, warned about
  kHelp,              // -h: print --help and exit 0
  kVersion,           // -V: print the version and exit 0
  kLicense,           // -i: print the license and exit 0
  kVerbose,           // -v: verbosity + 1 (capped at 3)
  kDisableEvictions,  // -M: memory.evictions = false
  kEnableShutdown,    // -A: commands.shutdown = true
  kDisableFlushAll,   // -F: commands.flush_all = false
  kExtended,          // -o: comma-separated memcached internals, each warned about
  kConfigFile,        // --config FILE (ours)
  kCheckConfig,       // --check-config (ours)
};

struct FlagDescriptor {
  char short_flag;  // '\0' if none
  std::string_view long_flag;
  bool takes_arg;
  FlagAction action;
  std::string_view arg_name;
  std::string_view help;
};

inline constexpr std::array<FlagDescriptor, 27> kFlags{{
    {'h', "help", false, FlagAction::kHelp, "", "print this help and exit"},
    {'V', "version", false, FlagAction::kVersion, "", "print the version and exit"},
    {'i', "license", false, FlagAction::kLicense, "", "print the license and exit"},
    {'\0', "config", true, FlagAction::kConfigFile, "<file>", "read settings from this YAML file"},
    {'\0', "check-config", false, FlagAction::kCheckConfig, "",
     "validate the settings, print \"configuration OK\" or the error, exit 0 or 2"},
    {'v', "verbose", false, FlagAction::kVerbose, "",
     "more verbose; -vv very verbose, -vvv extremely verbose"},
    {'M', "disable-evictions", false, FlagAction::kDisableEvictions, "",
     "return an error when memory is full instead of evicting (memory.evictions: false)"},
    {'o', "extended", true, FlagAction::kExtended, "<opts>",
     "memcached's comma-separated extended options: accepted, each ignored with a warning"},
    {'A', "enable-shutdown", false, FlagAction::kEnableShutdown, "",
     "allow the text shutdown command (commands.shutdown: true)"},
    {'Z', "enable-ssl", false, FlagAction::kWarn, "", "ignored: TLS is not supported"},
    {'r', "enable-coredumps", false, FlagAction::kWarn, "", "ignored: core file limit unchanged"},
    {'k', "lock-memory", false, FlagAction::kWarn, "", "ignored: memory is not locked"},
    {'f', "slab-growth-factor", true, FlagAction::kWarn, "<num>", "ignored: own slab classes"},
    {'n', "slab-min-size", true, FlagAction::kWarn, "<bytes>", "ignored: own slab classes"},
    {'L', "enable-largepages", false, FlagAction::kWarn, "", "ignored: no large pages here"},
    {'D', "", true, FlagAction::kWarn, "<char>", "ignored: no per-prefix stats"},
    {'C', "disable-cas", false, FlagAction::kWarn, "", "ignored: CAS is always on"},
    {'b', "listen-backlog", true, FlagAction::kWarn, "<num>", "ignored: the system's backlog"},
    {'B', "protocol", true, FlagAction::kWarn, "<name>",
     "ignored: the protocol is always detected per connection"},
    {'S', "enable-sasl", false, FlagAction::kWarn, "", "ignored: SASL is not supported"},
    {'F', "disable-flush-all", false, FlagAction::kDisableFlushAll, "",
     "refuse flush_all (commands.flush_all: false)"},
    {'X', "disable-dumping", false, FlagAction::kWarn, "", "ignored: no cachedump"},
    {'W', "disable-watch", false, FlagAction::kWarn, "", "ignored: no watch command"},
    {'Y', "auth-file", true, FlagAction::kWarn, "<file>", "ignored: no ascii authentication"},
    {'e', "memory-file", true, FlagAction::kWarn, "<file>", "ignored: no restartable cache"},
    {'N', "napi-ids", true, FlagAction::kWarn, "<num>", "ignored: no NAPI id steering"},
    // memcached -h spells it --napi_ids although its getopt table says napi-ids; take both.
    {'\0', "napi_ids", true, FlagAction::kWarn, "<num>", "ignored: same as -N/--napi-ids"},
}};

// Every name memcached 1.6.18 accepts after -o (extstore, TLS and proxy builds included).
inline constexpr std::array<std::string_view, 69> kExtendedOptionNames{{
    // relaxed_privileges exists only in memcached's debug builds; its test harness passes it.
    "relaxed_privileges",
    "maxconns_fast",
    "no_maxconns_fast",
    "hashpower",
    "no_hashexpand",
    "slab_reassign",
    "no_slab_reassign",
    "slab_automove",
    "no_slab_automove",
    "slab_automove_ratio",
    "slab_automove_window",
    "tail_repair_time",
    "hash_algorithm",
    "lru_crawler",
    "no_lru_crawler",
    "lru_crawler_sleep",
    "lru_crawler_tocrawl",
    "lru_maintainer",
    "no_lru_maintainer",
    "hot_lru_pct",
    "warm_lru_pct",
    "hot_max_factor",
    "warm_max_factor",
    "temporary_ttl",
    "idle_timeout",
    "watcher_logbuf_size",
    "worker_logbuf_size",
    "read_buf_mem_limit",
    "resp_obj_mem_limit",
    "slab_sizes",
    "slab_chunk_max",
    "track_sizes",
    "no_inline_ascii_resp",
    "inline_ascii_resp",
    "modern",
    "no_modern",
    "no_chunked_items",
    "drop_privileges",
    "no_drop_privileges",
    "sock_cookie_id",
    "ext_path",
    "ext_page_size",
    "ext_wbuf_size",
    "ext_threads",
    "ext_io_depth",
    "ext_item_size",
    "ext_item_age",
    "ext_low_ttl",
    "ext_recache_rate",
    "ext_compact_under",
    "ext_drop_under",
    "ext_max_sleep",
    "ext_max_frag",
    "ext_drop_unread",
    "slab_automove_freeratio",
    "ssl_chain_cert",
    "ssl_key",
    "ssl_keyformat",
    "ssl_verify_mode",
    "ssl_ciphers",
    "ssl_ca_cert",
    "ssl_wbuf_size",
    "ssl_session_cache",
    "ssl_kernel_tls",
    "ssl_min_version",
    "proxy_config",
    "proxy_startfile",
    "proxy_startarg",
    "proxy_uring",
}};

// Looks a descriptor up by its dotted key; nullptr if none.
const Descriptor* FindOption(std::string_view key);

}  // namespace kmd::config
