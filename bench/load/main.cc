// kmd-load's entry point: parse options (exit 2 on bad input), raise the descriptor limit for
// many connections, run the optional prefill, then the measured phase, and print/write results.
#include <sys/resource.h>

#include <cstdio>
#include <exception>
#include <fstream>

#include "bench/load/options.h"
#include "bench/load/report.h"
#include "bench/load/runner.h"

namespace {

void RaiseFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kmd::bench;
  ParseResult parsed = ParseOptions(argc, argv);
  if (parsed.help) {
    std::fputs(UsageText(), stdout);
    return 0;
  }
  if (!parsed.options) {
    std::fprintf(stderr, "kmd-load: %s\n%s", parsed.error.c_str(), UsageText());
    return 2;
  }
  const Options& o = *parsed.options;
  RaiseFileLimit();
  try {
    Report report;
    report.options = &o;
    if (o.prefill) {
      Options p = PrefillOptions(o);
      PhaseResult pre = RunPhase(p, true, {});
      report.prefill_seconds = pre.window_seconds();
      report.prefill_errors = pre.errors;
      std::fprintf(stderr, "kmd-load: prefill set %llu keys in %.2f s, errors=%llu\n",
                   static_cast<unsigned long long>(pre.requests), report.prefill_seconds,
                   static_cast<unsigned long long>(pre.errors));
    }
    std::optional<double> server_cpu0, server_cpu1;
    double client_cpu0 = 0, client_cpu1 = 0;
    PhaseHooks hooks;
    hooks.at_measure_start = [&] {
      if (o.server_pid) server_cpu0 = ProcessCpuSeconds(o.server_pid);
      client_cpu0 = SelfCpuSeconds();
    };
    hooks.at_measure_end = [&] {
      if (o.server_pid) server_cpu1 = ProcessCpuSeconds(o.server_pid);
      client_cpu1 = SelfCpuSeconds();
    };
    PhaseResult result = RunPhase(o, false, hooks);
    report.result = &result;
    if (server_cpu0 && server_cpu1)
      report.server_cpu_s = *server_cpu1 - *server_cpu0;
    else if (o.server_pid)
      std::fprintf(stderr, "kmd-load: cannot read /proc/%d/stat\n", o.server_pid);
    report.client_cpu_s = client_cpu1 - client_cpu0;
    std::printf("%s\n", SummaryLine(report).c_str());
    if (!o.json_path.empty()) {
      std::ofstream out(o.json_path);
      out << ToJson(report);
      if (!out) {
        std::fprintf(stderr, "kmd-load: cannot write --json %s\n", o.json_path.c_str());
        return 1;
      }
    }
    if (result.requests == 0) {
      std::fprintf(stderr, "kmd-load: no request completed inside the measurement window\n");
      return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kmd-load: %s:%u: %s\n", o.host.c_str(), o.port, e.what());
    return 1;
  }
  return 0;
}
