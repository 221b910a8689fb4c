// Command-line parsing for kmd-load (see options.h). Rejects rather than clips: every error names
// the option, quotes the value and says what is allowed.
#include "bench/load/options.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>

namespace kmd::bench {
namespace {

// Protocol limit on memcached keys; also the buffer size kmd-load formats keys into.
constexpr uint32_t kMaxKeySize = 250;
constexpr uint32_t kMaxValueSize = 64u << 20;

struct Error {
  std::string message;
};

std::string Bad(std::string_view opt, std::string_view value, std::string_view allowed) {
  return "--" + std::string(opt) + ": invalid value '" + std::string(value) + "' (expected " +
         std::string(allowed) + ")";
}

bool ParseU64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool ParseDouble(std::string_view s, double& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
}

// "a<sep>b" into two unsigned integers.
bool ParsePair(std::string_view s, char sep, uint64_t& a, uint64_t& b) {
  size_t at = s.find(sep);
  if (at == std::string_view::npos) return false;
  return ParseU64(s.substr(0, at), a) && ParseU64(s.substr(at + 1), b);
}

size_t Digits(uint64_t v) {
  size_t d = 1;
  while (v >= 10) v /= 10, ++d;
  return d;
}

}  // namespace

const char* ProtocolName(Protocol p) {
  switch (p) {
    case Protocol::kBinary:
      return "binary";
    case Protocol::kText:
      return "text";
    case Protocol::kMeta:
      return "meta";
    case Protocol::kResp:
      return "resp";
  }
  return "?";
}

const char* KeyPatternName(KeyPattern p) {
  switch (p) {
    case KeyPattern::kUniform:
      return "uniform";
    case KeyPattern::kSequential:
      return "sequential";
    case KeyPattern::kGaussian:
      return "gaussian";
    case KeyPattern::kZipf:
      return "zipf";
  }
  return "?";
}

ValueSizeSampler Options::MakeValueSampler() const {
  if (!value_list.empty()) return ValueSizeSampler::List(value_list);
  if (value_lo == value_hi) return ValueSizeSampler::Fixed(value_lo);
  return ValueSizeSampler::Range(value_lo, value_hi);
}

const char* UsageText() {
  return "usage: kmd-load --server HOST:PORT --protocol binary|text|meta|resp\n"
         "  [--threads 1] [--connections 1 (per thread)] [--pipeline 1]\n"
         "  [--ratio 1:10 (set:get)] [--key-pattern uniform|sequential|gaussian|zipf]\n"
         "  [--zipf-exp 0.99] [--key-prefix key:] [--key-space 100000] [--key-size 16]\n"
         "  [--value-size 100 | --value-range 50-5000 | --value-list 100:0.6,1000:0.4]\n"
         "  [--multiget 1] [--expiry 0 | --expiry-range 60-600]\n"
         "  [--duration 10 | --requests N] [--prefill] [--rate OPS (open loop, total)]\n"
         "  [--idle-connections N] [--server-pid PID] [--json OUT.json] [--seed 1] [--warmup 1]\n";
}

ParseResult ParseOptions(int argc, const char* const* argv) {
  ParseResult result;
  Options o;
  bool have_server = false, have_protocol = false;
  int value_opts = 0, expiry_opts = 0;
  bool have_duration = false;
  auto fail = [&](std::string msg) {
    result.error = std::move(msg);
    return result;
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      result.help = true;
      return result;
    }
    if (arg.substr(0, 2) != "--") return fail("unexpected argument '" + std::string(arg) + "'");
    std::string_view name = arg.substr(2);
    std::string_view value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "prefill") {
      if (has_value) return fail(Bad(name, value, "no value"));
      o.prefill = true;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) return fail("--" + std::string(name) + ": missing value");
      value = argv[++i];
    }
    uint64_t u = 0, u2 = 0;
    double d = 0;
    // Unsigned option in [lo, hi].
    auto uint_opt = [&](uint64_t lo, uint64_t hi, auto& field) -> bool {
      if (!ParseU64(value, u) || u < lo || u > hi) return false;
      field = static_cast<std::remove_reference_t<decltype(field)>>(u);
      return true;
    };
    auto range_text = [](uint64_t lo, uint64_t hi) {
      return "an integer in " + std::to_string(lo) + ".." + std::to_string(hi);
    };
    if (name == "server") {
      size_t colon = value.rfind(':');
      if (colon == std::string_view::npos || colon == 0 || !ParseU64(value.substr(colon + 1), u) ||
          u == 0 || u > 65535)
        return fail(Bad(name, value, "HOST:PORT with a port in 1..65535"));
      o.host = std::string(value.substr(0, colon));
      o.port = static_cast<uint16_t>(u);
      have_server = true;
    } else if (name == "protocol") {
      if (value == "binary")
        o.protocol = Protocol::kBinary;
      else if (value == "text")
        o.protocol = Protocol::kText;
      else if (value == "meta")
        o.protocol = Protocol::kMeta;
      else if (value == "resp")
        o.protocol = Protocol::kResp;
      else
        return fail(Bad(name, value, "binary, text, meta or resp"));
      have_protocol = true;
    } else if (name == "threads") {
      if (!uint_opt(1, 256, o.threads)) return fail(Bad(name, value, range_text(1, 256)));
    } else if (name == "connections") {
      if (!uint_opt(1, 100000, o.connections)) return fail(Bad(name, value, range_text(1, 100000)));
    } else if (name == "pipeline") {
      if (!uint_opt(1, 4096, o.pipeline)) return fail(Bad(name, value, range_text(1, 4096)));
    } else if (name == "ratio") {
      if (!ParsePair(value, ':', u, u2) || u > 1000000 || u2 > 1000000 || u + u2 == 0)
        return fail(Bad(name, value, "SET:GET, two integers not both 0, e.g. 1:10"));
      o.ratio_set = static_cast<uint32_t>(u);
      o.ratio_get = static_cast<uint32_t>(u2);
    } else if (name == "key-pattern") {
      if (value == "uniform")
        o.key_pattern = KeyPattern::kUniform;
      else if (value == "sequential")
        o.key_pattern = KeyPattern::kSequential;
      else if (value == "gaussian")
        o.key_pattern = KeyPattern::kGaussian;
      else if (value == "zipf")
        o.key_pattern = KeyPattern::kZipf;
      else
        return fail(Bad(name, value, "uniform, sequential, gaussian or zipf"));
    } else if (name == "zipf-exp") {
      if (!ParseDouble(value, d) || d <= 0 || d > 10)
        return fail(Bad(name, value, "a number in (0, 10]"));
      o.zipf_exp = d;
    } else if (name == "key-prefix") {
      if (value.size() > 200 || value.find_first_of(" \r\n\t") != std::string_view::npos)
        return fail(Bad(name, value, "at most 200 characters, no whitespace"));
      o.key_prefix = std::string(value);
    } else if (name == "key-space") {
      if (!uint_opt(1, uint64_t{1} << 40, o.key_space))
        return fail(Bad(name, value, range_text(1, uint64_t{1} << 40)));
    } else if (name == "key-size") {
      if (!uint_opt(0, kMaxKeySize, o.key_size))
        return fail(Bad(name, value, range_text(0, kMaxKeySize)));
    } else if (name == "value-size") {
      if (!ParseU64(value, u) || u > kMaxValueSize)
        return fail(Bad(name, value, range_text(0, kMaxValueSize)));
      o.value_lo = o.value_hi = static_cast<uint32_t>(u);
      o.value_spec = std::string(value);
      ++value_opts;
    } else if (name == "value-range") {
      if (!ParsePair(value, '-', u, u2) || u > u2 || u2 > kMaxValueSize)
        return fail(
            Bad(name, value, "LO-HI with 0 <= LO <= HI <= " + std::to_string(kMaxValueSize)));
      o.value_lo = static_cast<uint32_t>(u);
      o.value_hi = static_cast<uint32_t>(u2);
      o.value_spec = std::string(value);
      ++value_opts;
    } else if (name == "value-list") {
      std::string_view rest = value;
      o.value_list.clear();
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        size_t colon = item.find(':');
        if (colon == std::string_view::npos || !ParseU64(item.substr(0, colon), u) ||
            u > kMaxValueSize || !ParseDouble(item.substr(colon + 1), d) || d <= 0)
          return fail(Bad(name, value, "SIZE:WEIGHT[,SIZE:WEIGHT...] with weights > 0"));
        o.value_list.emplace_back(static_cast<uint32_t>(u), d);
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
        if (rest.empty()) return fail(Bad(name, value, "no trailing comma"));
      }
      if (o.value_list.empty()) return fail(Bad(name, value, "at least one SIZE:WEIGHT"));
      o.value_spec = std::string(value);
      ++value_opts;
    } else if (name == "multiget") {
      if (!uint_opt(1, 1000, o.multiget)) return fail(Bad(name, value, range_text(1, 1000)));
    } else if (name == "expiry") {
      if (!ParseU64(value, u) || u > 0x7fffffff)
        return fail(Bad(name, value, range_text(0, 0x7fffffff)));
      o.expiry_lo = o.expiry_hi = static_cast<uint32_t>(u);
      ++expiry_opts;
    } else if (name == "expiry-range") {
      if (!ParsePair(value, '-', u, u2) || u > u2 || u2 > 0x7fffffff)
        return fail(Bad(name, value, "LO-HI seconds with LO <= HI"));
      o.expiry_lo = static_cast<uint32_t>(u);
      o.expiry_hi = static_cast<uint32_t>(u2);
      ++expiry_opts;
    } else if (name == "duration") {
      if (!ParseDouble(value, d) || d <= 0 || d > 86400)
        return fail(Bad(name, value, "seconds in (0, 86400]"));
      o.duration_s = d;
      have_duration = true;
    } else if (name == "requests") {
      if (!ParseU64(value, u) || u == 0 || u > (uint64_t{1} << 48))
        return fail(Bad(name, value, "a positive integer"));
      o.requests = u;
    } else if (name == "rate") {
      if (!ParseDouble(value, d) || d <= 0 || d > 1e9)
        return fail(Bad(name, value, "requests per second in (0, 1e9]"));
      o.rate = d;
    } else if (name == "idle-connections") {
      if (!uint_opt(0, 1000000, o.idle_connections))
        return fail(Bad(name, value, range_text(0, 1000000)));
    } else if (name == "server-pid") {
      if (!ParseU64(value, u) || u == 0 || u > 0x7fffffff)
        return fail(Bad(name, value, "a process id"));
      o.server_pid = static_cast<int>(u);
    } else if (name == "json") {
      if (value.empty()) return fail(Bad(name, value, "a file path"));
      o.json_path = std::string(value);
    } else if (name == "seed") {
      if (!ParseU64(value, o.seed)) return fail(Bad(name, value, "an unsigned integer"));
    } else if (name == "warmup") {
      if (!ParseDouble(value, d) || d < 0 || d > 3600)
        return fail(Bad(name, value, "seconds in [0, 3600]"));
      o.warmup_s = d;
    } else {
      return fail("unknown option '--" + std::string(name) + "'");
    }
  }
  if (!have_server) return fail("--server: missing (HOST:PORT)");
  if (!have_protocol) return fail("--protocol: missing (binary, text, meta or resp)");
  if (value_opts > 1)
    return fail("--value-size, --value-range, --value-list: give at most one of them");
  if (expiry_opts > 1) return fail("--expiry, --expiry-range: give at most one of them");
  if (have_duration && o.requests > 0) return fail("--duration, --requests: give at most one");
  if (o.key_size > 0) {
    size_t need = o.key_prefix.size() + Digits(o.key_space - 1);
    if (need > o.key_size)
      return fail(Bad("key-size", std::to_string(o.key_size),
                      "at least " + std::to_string(need) + " to hold --key-prefix '" +
                          o.key_prefix + "' and " + std::to_string(Digits(o.key_space - 1)) +
                          " digits of --key-space"));
  } else if (o.key_prefix.size() + Digits(o.key_space - 1) > kMaxKeySize) {
    return fail(Bad("key-prefix", o.key_prefix, "a prefix that keeps keys within 250 bytes"));
  }
  if (o.requests > 0 && o.requests < o.total_connections())
    return fail(Bad("requests", std::to_string(o.requests),
                    "at least threads x connections = " + std::to_string(o.total_connections())));
  result.options = std::move(o);
  return result;
}

}  // namespace kmd::bench
