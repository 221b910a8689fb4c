// Text <-> value conversions for config. Pure functions, thread-safe.
// Overflow is an error, never a wrap: a size that does not fit 64 bits is rejected.
#include "config/values.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <utility>

namespace kmd::config {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Splits "<digits>[ ]<suffix>" into the number and the lower-cased suffix.
std::optional<std::pair<uint64_t, std::string>> SplitNumber(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  auto number = ParseUint(text.substr(0, digits));
  if (!number) return std::nullopt;
  std::string_view rest = text.substr(digits);
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return std::make_pair(*number, Lower(rest));
}

std::optional<uint64_t> Multiply(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return std::nullopt;
  return a * b;
}

}  // namespace

std::optional<uint64_t> ParseUint(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::optional<uint64_t> ParseSize(std::string_view text, uint64_t bare_unit) {
  auto split = SplitNumber(text);
  if (!split) return std::nullopt;
  const auto& [number, suffix] = *split;
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 13> kSuffixes{{
      {"b", 1},
      {"k", 1ull << 10},
      {"kb", 1ull << 10},
      {"kib", 1ull << 10},
      {"m", 1ull << 20},
      {"mb", 1ull << 20},
      {"mib", 1ull << 20},
      {"g", 1ull << 30},
      {"gb", 1ull << 30},
      {"gib", 1ull << 30},
      {"t", 1ull << 40},
      {"tb", 1ull << 40},
      {"tib", 1ull << 40},
  }};
  if (suffix.empty()) return Multiply(number, bare_unit);
  for (const auto& [name, unit] : kSuffixes) {
    if (suffix == name) return Multiply(number, unit);
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto split = SplitNumber(text);
  if (!split) return std::nullopt;
  const auto& [number, suffix] = *split;
  uint64_t unit_ms = 0;
  if (suffix == "ms") {
    unit_ms = 1;
  } else if (suffix.empty() || suffix == "s") {
    unit_ms = 1000;
  } else if (suffix == "m") {
    unit_ms = 60 * 1000;
  } else if (suffix == "h") {
    unit_ms = 3600 * 1000;
  } else {
    return std::nullopt;
  }
  auto ms = Multiply(number, unit_ms);
  // milliseconds::rep is signed 64-bit.
  if (!ms || *ms > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(*ms));
}

std::optional<bool> ParseBool(std::string_view text) {
  const std::string lower = Lower(text);
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") return true;
  if (lower == "false" || lower == "no" || lower == "off" || lower == "0") return false;
  return std::nullopt;
}

std::optional<uint32_t> ParseOctalMode(std::string_view text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  uint32_t mode = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    mode = mode * 8 + static_cast<uint32_t>(c - '0');
  }
  if (mode > 0777) return std::nullopt;
  return mode;
}

std::optional<HostPort> ParseHostPort(std::string_view text) {
  HostPort out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(0, colon));
    // A bare IPv6 address without brackets is ambiguous ("::1:9150"); insist on brackets.
    if (out.host.find(':') != std::string::npos) return std::nullopt;
    port_text = text.substr(colon + 1);
  }
  auto port = ParseUint(port_text);
  if (out.host.empty() || !port || *port > 65535) return std::nullopt;
  out.port = static_cast<uint16_t>(*port);
  return out;
}

std::string FormatSize(uint64_t bytes) {
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 4> kUnits{{
      {"TiB", 1ull << 40},
      {"GiB", 1ull << 30},
      {"MiB", 1ull << 20},
      {"KiB", 1ull << 10},
  }};
  if (bytes != 0) {
    for (const auto& [name, unit] : kUnits) {
      if (bytes % unit == 0) return std::to_string(bytes / unit) + std::string(name);
    }
  }
  return std::to_string(bytes) + "B";
}

std::string FormatDuration(std::chrono::milliseconds d) {
  const int64_t ms = d.count();
  if (ms != 0 && ms % (3600 * 1000) == 0) return std::to_string(ms / (3600 * 1000)) + "h";
  if (ms != 0 && ms % (60 * 1000) == 0) return std::to_string(ms / (60 * 1000)) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string FormatOctalMode(uint32_t mode) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + (mode & 7)));
    mode >>= 3;
  } while (mode != 0);
  return "0" + digits;
}

std::optional<std::vector<LeakRate>> ParseLeakRates(std::string_view text) {
  std::vector<LeakRate> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (comma != std::string_view::npos && text.empty()) return std::nullopt;  // trailing comma
    const size_t colon = item.find(':');
    if (colon != 1 || kLeakSites.find(item[0]) == std::string_view::npos) return std::nullopt;
    const std::optional<uint64_t> rate = ParseSize(item.substr(2), 1);
    if (!rate || *rate == 0 || *rate > kMaxLeakRate) return std::nullopt;
    for (const LeakRate& seen : out) {
      if (seen.site == item[0]) return std::nullopt;
    }
    out.push_back({item[0], *rate});
  }
  return out;
}

}  // namespace kmd::config
