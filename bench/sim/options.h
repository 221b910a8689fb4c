// kmd-sim's command line: the Options value, its parser and the size resolution. Parsing is pure
// (no I/O) so tests drive it; a bad flag or value yields an error naming it, and main exits 2.
// Invariant of parsed Options: trace, at least one implemented policy and one size are set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/sim/trace.h"
#include "core/cache/policy/policy_kind.h"

namespace kmd::sim {

// A cache size as given: an absolute count, or a percentage held as an exact fraction
// (num / den of the trace's distinct keys, or of their bytes with --bytes).
struct SizeSpec {
  std::string text;  // as given, e.g. "1%" or "5000"
  bool percent = false;
  uint64_t absolute = 0;
  uint64_t num = 0;
  uint64_t den = 1;
};

struct Options {
  std::string trace_path;
  TraceFormat format = TraceFormat::kText;
  std::vector<cache::policy::PolicyKind> policies;
  std::vector<SizeSpec> sizes;
  bool bytes = false;
  uint32_t shards = 1;
  std::string plot_path;  // empty: no plot
};

struct ParseResult {
  std::optional<Options> options;  // empty on error or --help
  std::string error;
  bool help = false;
};

ParseResult ParseOptions(int argc, const char* const* argv);
std::optional<SizeSpec> ParseSize(std::string_view text);
std::string UsageText();

// The capacity a size means for this trace: floor(distinct x p/100) objects, or with --bytes
// floor(distinct_bytes x p/100) bytes; an absolute size is itself.
uint64_t ResolveSize(const SizeSpec& size, const TraceStats& stats, bool bytes);

}  // namespace kmd::sim
