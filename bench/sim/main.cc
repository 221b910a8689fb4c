// kmd-sim's entry point: parse the flags (exit 2), decode the trace once (exit 1 if unreadable,
// 2 if malformed), replay every policy x size over it printing one result line each, then the
// table and the optional plot. Rates go to stderr so stdout stays machine-readable.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bench/sim/options.h"
#include "bench/sim/replay.h"
#include "bench/sim/report.h"

namespace {

// "<n> records in <wall> s (<cpu> s CPU): <r> M requests/s wall, <r> M per CPU-second"
std::string RateText(uint64_t records, double wall_s, double cpu_s) {
  auto rate = [&](double s) { return s > 0 ? static_cast<double>(records) / s / 1e6 : 0.0; };
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "%" PRIu64
                " records in %.3f s (%.3f s CPU): %.2f M requests/s wall, %.2f M per "
                "CPU-second",
                records, wall_s, cpu_s, rate(wall_s), rate(cpu_s));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kmd::sim;
  const ParseResult parsed = ParseOptions(argc, argv);
  if (parsed.help) {
    std::fputs(UsageText().c_str(), stdout);
    return 0;
  }
  if (!parsed.options) {
    std::fprintf(stderr, "kmd-sim: %s\n%s", parsed.error.c_str(), UsageText().c_str());
    return 2;
  }
  const Options& o = *parsed.options;

  const auto t0 = std::chrono::steady_clock::now();
  DecodeResult decoded = ReadTrace(o.trace_path, o.format);
  if (!decoded.trace) {
    std::fprintf(stderr, "kmd-sim: %s\n", decoded.error.c_str());
    return decoded.malformed ? 2 : 1;
  }
  const Trace& trace = *decoded.trace;
  const TraceStats stats = ComputeStats(trace);
  const double decode_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr,
               "kmd-sim: %s: %zu records, %" PRIu64 " requests, %" PRIu64 " distinct keys, %" PRIu64
               " distinct bytes (decoded in %.2f s)\n",
               o.trace_path.c_str(), trace.records(), trace.gets, stats.distinct,
               stats.distinct_bytes, decode_s);

  std::vector<SizeColumn> sizes;
  for (const SizeSpec& s : o.sizes) sizes.push_back({s.text, ResolveSize(s, stats, o.bytes)});
  std::vector<Curve> curves;
  double total_s = 0, total_cpu_s = 0;
  uint64_t total_records = 0;
  for (PolicyKind kind : o.policies) {
    Curve curve{std::string(kmd::cache::policy::PolicyName(kind)), {}};
    for (const SizeColumn& size : sizes) {
      const RunResult r = Replay(trace, kind, size.capacity, o.bytes, o.shards);
      std::printf("%s\n", ResultLine(curve.policy, size.capacity, r).c_str());
      std::fflush(stdout);
      std::fprintf(stderr, "kmd-sim: %s size=%" PRIu64 ": %s\n", curve.policy.c_str(),
                   size.capacity, RateText(r.records, r.seconds, r.cpu_seconds).c_str());
      curve.miss_ratios.push_back(r.miss_ratio());
      total_s += r.seconds;
      total_cpu_s += r.cpu_seconds;
      total_records += r.records;
    }
    curves.push_back(std::move(curve));
  }
  std::printf("\n%s", MissRatioTable(sizes, curves, o.bytes).c_str());
  std::fprintf(stderr, "kmd-sim: all runs: %s\n",
               RateText(total_records, total_s, total_cpu_s).c_str());

  if (!o.plot_path.empty()) {
    std::string title = o.trace_path.substr(o.trace_path.find_last_of('/') + 1);
    if (o.shards > 1) title += " (" + std::to_string(o.shards) + " shards)";
    std::ofstream out(o.plot_path, std::ios::binary);
    out << MissRatioSvg(title, sizes, curves, o.bytes);
    if (!out.flush()) {
      std::fprintf(stderr, "kmd-sim: --plot: cannot write '%s'\n", o.plot_path.c_str());
      return 1;
    }
  }
  return 0;
}
