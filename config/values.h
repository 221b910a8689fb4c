// Text <-> value conversions shared by the YAML file and the command line: sizes, durations,
// booleans, octal modes, HOST:PORT. Pure functions, thread-safe.
// Invariant: Format*(x) parses back to x (the descriptor tables' default_text uses these forms).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmd::config {

// Unsigned decimal integer, no sign, no suffix; nullopt on junk or overflow.
std::optional<uint64_t> ParseUint(std::string_view text);

// "<n>[ ]<suffix>" with suffix (case-insensitive) b, k/kb/kib, m/mb/mib, g/gb/gib, t/tb/tib, all
// binary (k = 1024). A bare number is multiplied by bare_unit (1 for bytes, kMiB for -m).
std::optional<uint64_t> ParseSize(std::string_view text, uint64_t bare_unit);

// "<n>[ ]<suffix>" with suffix ms, s, m, h (case-insensitive); a bare number means seconds.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// true/false, yes/no, on/off, 1/0 (case-insensitive).
std::optional<bool> ParseBool(std::string_view text);

// Octal permission bits, with or without a leading 0 ("700", "0700"); at most 0777.
std::optional<uint32_t> ParseOctalMode(std::string_view text);

struct HostPort {
  std::string host;  // without brackets for IPv6
  uint16_t port = 0;
};
// "host:port" or "[v6addr]:port"; host non-empty, port 0..65535.
std::optional<HostPort> ParseHostPort(std::string_view text);

// debug.leak: comma-separated "SITE:RATE" with SITE one of kLeakSites, each at most once, and
// RATE a size per second (ParseSize, bare number bytes) in 1..kMaxLeakRate. Empty text: no sites.
inline constexpr std::string_view kLeakSites = "abc";
inline constexpr uint64_t kMaxLeakRate = uint64_t{1} << 30;
struct LeakRate {
  char site = 'a';
  uint64_t bytes_per_second = 0;
};
std::optional<std::vector<LeakRate>> ParseLeakRates(std::string_view text);

// Largest binary unit that divides exactly: 67108864 -> "64MiB", 1000 -> "1000B".
std::string FormatSize(uint64_t bytes);
// Largest unit that divides exactly: 5000ms -> "5s", 90000ms -> "90s", 0 -> "0s".
std::string FormatDuration(std::chrono::milliseconds d);
// 0700 -> "0700".
std::string FormatOctalMode(uint32_t mode);

}  // namespace kmd::config
