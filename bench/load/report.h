// Results of a kmd-load run: CPU sampling (server from /proc/PID/stat, client from getrusage), the
// one-line human summary and the JSON file. Called from the main thread only.
// Invariant: the summary and the JSON are computed from the same Report, so they never disagree.
#pragma once

#include <optional>
#include <string>

#include "bench/load/options.h"
#include "bench/load/runner.h"

namespace kmd::bench {

// utime + stime of a process in seconds, or nothing if /proc/PID/stat cannot be read.
std::optional<double> ProcessCpuSeconds(int pid);
// This process's user + system CPU seconds (all threads).
double SelfCpuSeconds();

struct Report {
  const Options* options = nullptr;
  const PhaseResult* result = nullptr;
  std::optional<double> server_cpu_s;  // over the measurement window
  double client_cpu_s = 0;
  double prefill_seconds = 0;  // 0 when no prefill ran
  uint64_t prefill_errors = 0;

  double ops_per_sec() const;
  std::optional<double> ops_per_server_cpu_s() const;
};

std::string SummaryLine(const Report& r);
std::string ToJson(const Report& r);

}  // namespace kmd::bench
