// kmd-load's command line: the Options value and its parser. Parsing is pure (no I/O) so tests can
// drive it; a bad option yields an error naming the option and the value, and main exits 2.
// Invariant of a parsed Options: every field is within the range its option documents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/load/sampler.h"

namespace kmd::bench {

enum class Protocol { kBinary, kText, kMeta, kResp };

const char* ProtocolName(Protocol p);
const char* KeyPatternName(KeyPattern p);

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 11211;
  Protocol protocol = Protocol::kBinary;
  uint32_t threads = 1;
  uint32_t connections = 1;  // per thread
  uint32_t pipeline = 1;
  uint32_t ratio_set = 1;
  uint32_t ratio_get = 10;
  KeyPattern key_pattern = KeyPattern::kUniform;
  double zipf_exp = 0.99;
  std::string key_prefix = "key:";
  uint64_t key_space = 100000;
  uint32_t key_size = 16;
  std::string value_spec = "100";  // echoed in the JSON as given
  // exactly one of: fixed (lo == hi, list empty), range, or list
  uint32_t value_lo = 100;
  uint32_t value_hi = 100;
  std::vector<std::pair<uint32_t, double>> value_list;
  uint32_t multiget = 1;
  uint32_t expiry_lo = 0;
  uint32_t expiry_hi = 0;
  double duration_s = 10;
  uint64_t requests = 0;  // > 0: run exactly this many requests in total instead of a duration
  bool prefill = false;
  double rate = 0;  // > 0: open loop at this many requests per second in total
  uint32_t idle_connections = 0;
  int server_pid = 0;
  std::string json_path;
  uint64_t seed = 1;
  double warmup_s = 1;

  ValueSizeSampler MakeValueSampler() const;
  uint32_t total_connections() const { return threads * connections; }
};

struct ParseResult {
  std::optional<Options> options;  // empty on error or --help
  std::string error;               // set on error
  bool help = false;
};

ParseResult ParseOptions(int argc, const char* const* argv);
const char* UsageText();

}  // namespace kmd::bench
