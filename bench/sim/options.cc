// kmd-sim's command-line parser (see options.h). Rejects rather than guesses: every error names
// the flag and quotes the value.
#include "bench/sim/options.h"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "bench/sim/replay.h"

namespace kmd::sim {
namespace {

constexpr uint32_t kMaxShards = 4096;
constexpr size_t kMaxPercentDecimals = 6;

std::string Invalid(std::string_view flag, std::string_view value, std::string_view expected) {
  return std::string(flag) + ": invalid value '" + std::string(value) + "' (expected " +
         std::string(expected) + ")";
}

bool AllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Splits "a,b,c"; an empty item (",," or a trailing comma) yields an empty list.
std::vector<std::string_view> CommaList(std::string_view s) {
  std::vector<std::string_view> items;
  for (;;) {
    const size_t comma = s.find(',');
    items.push_back(s.substr(0, comma));
    if (items.back().empty()) return {};
    if (comma == std::string_view::npos) return items;
    s.remove_prefix(comma + 1);
  }
}

std::string PolicyError(std::string_view value) {
  std::string all;
  for (std::string_view n : cache::policy::kPolicyNames)
    all += (all.empty() ? "" : ", ") + std::string(n);
  return Invalid("--policy", value, "a comma-separated list of " + all);
}

}  // namespace

std::optional<SizeSpec> ParseSize(std::string_view text) {
  SizeSpec s;
  s.text = std::string(text);
  if (text.empty() || text.back() != '%') {
    if (!AllDigits(text)) return std::nullopt;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), s.absolute);
    if (ec != std::errc() || s.absolute == 0 || s.absolute > (uint64_t{1} << 62))
      return std::nullopt;
    return s;
  }
  text.remove_suffix(1);
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (!AllDigits(whole) || (dot != std::string_view::npos && !AllDigits(frac)) ||
      whole.size() > 3 || frac.size() > kMaxPercentDecimals) {
    return std::nullopt;
  }
  s.percent = true;
  s.den = 100;
  for (char c : whole) s.num = s.num * 10 + static_cast<uint64_t>(c - '0');
  for (char c : frac) {
    s.num = s.num * 10 + static_cast<uint64_t>(c - '0');
    s.den *= 10;
  }
  if (s.num == 0 || s.num > s.den) return std::nullopt;  // (0%, 100%]
  return s;
}

uint64_t ResolveSize(const SizeSpec& size, const TraceStats& stats, bool bytes) {
  if (!size.percent) return size.absolute;
  const unsigned __int128 base = bytes ? stats.distinct_bytes : stats.distinct;
  return static_cast<uint64_t>(base * size.num / size.den);
}

std::string UsageText() {
  return "usage: kmd-sim --trace PATH [--format text|oracle|twitter] --policy P[,P...]\n"
         "               --size S[,S...] [--bytes] [--shards N] [--plot OUT.svg]\n"
         "Replays a trace through the daemon's own eviction policy classes and prints\n"
         "  policy=<name> size=<capacity> requests=<n> misses=<m> miss_ratio=<0.xxxxxx>\n"
         "per policy and size, then a miss-ratio table per policy; requests/s go to stderr.\n"
         "  --trace PATH    plain, gzip or zstd (detected by magic bytes)\n"
         "  --format F      text (default): '<timestamp_or_index> <key> [<size_bytes>]' per line;\n"
         "                  oracle: libCacheSim oracleGeneral 24-byte records;\n"
         "                  twitter: Twitter cache-trace CSV; get/gets are the requests, set/add/\n"
         "                  replace/cas/append/prepend/incr/decr admit the key uncounted, delete\n"
         "                  removes it\n"
         "  --policy P,...  from: lru lfu fifo s3fifo sieve wtinylfu adaptive (implemented in "
         "this\n"
         "                  build: " +
         ImplementedPolicyNames() +
         ")\n"
         "  --size S,...    an absolute capacity (objects; bytes with --bytes), or a percentage\n"
         "                  in (0%, 100%]: P% is floor(distinct keys x P/100) objects, or with\n"
         "                  --bytes floor(total bytes of the distinct objects x P/100) bytes\n"
         "                  (each object at its first-seen size)\n"
         "  --bytes         capacity in bytes, each object takes its size (a miss is still one\n"
         "                  per request)\n"
         "  --shards N      split keys by hash over N caches of capacity/N each, as the daemon's\n"
         "                  shards do (default 1: one cache holds it all)\n"
         "  --plot OUT.svg  write the miss-ratio curves (x: cache size, y: miss ratio)\n"
         "Exit: 0 ok, 1 unreadable trace, 2 bad flag or value or malformed trace line.\n";
}

ParseResult ParseOptions(int argc, const char* const* argv) {
  ParseResult result;
  Options o;
  auto fail = [&result](std::string message) {
    result.error = std::move(message);
    return result;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      result.help = true;
      return result;
    }
    if (arg == "--bytes") {
      o.bytes = true;
      continue;
    }
    static constexpr std::string_view kValued[] = {"--trace", "--format", "--policy",
                                                   "--size",  "--shards", "--plot"};
    std::string_view flag = arg, value;
    if (const size_t eq = arg.find('='); eq != std::string_view::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      if (flag == "--bytes") return fail("--bytes: takes no value, got '" + std::string(arg) + "'");
    } else if (std::find(std::begin(kValued), std::end(kValued), arg) != std::end(kValued)) {
      if (i + 1 >= argc) return fail(std::string(arg) + ": missing value");
      value = argv[++i];
    }
    if (std::find(std::begin(kValued), std::end(kValued), flag) == std::end(kValued)) {
      return fail("unknown flag '" + std::string(arg) + "'");
    }
    if (flag == "--trace") {
      if (value.empty()) return fail(Invalid(flag, value, "a file path"));
      o.trace_path = std::string(value);
    } else if (flag == "--format") {
      const std::optional<TraceFormat> f = ParseTraceFormat(value);
      if (!f) return fail(Invalid(flag, value, "text, oracle or twitter"));
      o.format = *f;
    } else if (flag == "--policy") {
      const std::vector<std::string_view> names = CommaList(value);
      if (names.empty()) return fail(PolicyError(value));
      o.policies.clear();
      for (std::string_view name : names) {
        const auto kind = cache::policy::ParsePolicyKind(name);
        if (!kind) return fail(PolicyError(name));
        if (!PolicyImplemented(*kind)) {
          return fail(
              "--policy: '" + std::string(name) +
              "' is not implemented in this build (implemented: " + ImplementedPolicyNames() + ")");
        }
        o.policies.push_back(*kind);
      }
    } else if (flag == "--size") {
      const std::vector<std::string_view> items = CommaList(value);
      if (items.empty()) return fail(Invalid(flag, value, "a comma-separated list of sizes"));
      o.sizes.clear();
      for (std::string_view item : items) {
        std::optional<SizeSpec> s = ParseSize(item);
        if (!s) {
          return fail(Invalid(flag, item,
                              "a positive integer or a percentage in (0%, 100%] with at most 6 "
                              "decimals, e.g. 5000 or 1%"));
        }
        o.sizes.push_back(std::move(*s));
      }
    } else if (flag == "--shards") {
      uint64_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (!AllDigits(value) || ec != std::errc() || n == 0 || n > kMaxShards) {
        return fail(Invalid(flag, value, "an integer in 1.." + std::to_string(kMaxShards)));
      }
      o.shards = static_cast<uint32_t>(n);
    } else if (flag == "--plot") {
      if (value.empty()) return fail(Invalid(flag, value, "an output file path"));
      o.plot_path = std::string(value);
    }
  }
  if (o.trace_path.empty()) return fail("--trace: missing (the trace file)");
  if (o.policies.empty()) return fail("--policy: missing (e.g. --policy lru)");
  if (o.sizes.empty()) return fail("--size: missing (e.g. --size 1%,10%)");
  result.options = std::move(o);
  return result;
}

}  // namespace kmd::sim
