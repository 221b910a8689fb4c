// Loading: command line (memcached's flags plus ours) and the optional YAML file (--config) into a
// validated Config; --help, --version and --check-config; the `stats settings` view.
// Thread-safe (no shared state). Precedence: built-in defaults < YAML file < command line, whatever
// the order of --config among the flags. Errors never throw: they come back as kExit with code 2.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace kmd::config {

inline constexpr int kExitUsage = 2;

struct LoadOutcome {
  enum Action { kRun, kExit };
  Action action = kRun;
  int exit_code = 0;
  // kExit: what to print — help/version/license text or "configuration OK" (stdout, exit 0), or
  // the error (stderr, exit 2). Empty for kRun.
  std::string message;
  Config config;  // meaningful for kRun, and for kExit after --check-config succeeded
};

// argv[0] is the program name and is skipped.
LoadOutcome Load(int argc, const char* const* argv);

// Cross-field and environment-free checks on an assembled Config (Load runs it). Returns the
// error message, or empty. May append to config.warnings (e.g. a non-zero UDP port).
std::string Validate(Config& config);

// The --help text, generated from the descriptor tables.
std::string HelpText();
// "kotoba-memd <version> (memcached 1.6.18 compatible)".
std::string VersionText();

// spdlog level name to use: log.level, made more verbose by -v (info), -vv (debug), -vvv (trace),
// following memcached's meaning of each (warnings, client commands, internal state).
std::string_view EffectiveLogLevel(const LogConfig& log);

// Slab page bytes the store uses: memory.page_size, or for 0 (auto) memory.limit / 1024 rounded
// down to a power of two and clamped to [kMinPageSize, kMaxPageSize]. About 1,024 pages make a
// class's last, partly filled page cost ~0.1% of -m, so fine classes stay cheap at small -m.
inline constexpr uint64_t kMinPageSize = 64 * kKiB;
inline constexpr uint64_t kMaxPageSize = kMiB;
uint64_t EffectivePageSize(const MemoryConfig& memory);

// `stats settings` lines that come from configuration, with memcached's names and value formats,
// in memcached 1.6.18's order. Run-time state (e.g. `oldest`) is the server's to add.
std::vector<std::pair<std::string, std::string>> SettingsLines(const Config& config);

// The effective settings as YAML (every descriptor key, nested by section).
std::string DumpYaml(const Config& config);

// Turns the text of a Debian-style /etc/memcached.conf (one flag per line, '#' comments, a
// `logfile PATH` line) into command-line arguments for Load.
std::vector<std::string> MemcachedConfArgs(std::string_view text);

}  // namespace kmd::config
