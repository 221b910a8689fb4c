// VisitProcess. memcached_exporter's names for the CPU figures and the version.
#include "server/admin/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include "server/dispatch/dispatch_context.h"

namespace kmd::admin {
namespace {

double Seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

}  // namespace

void VisitProcess(uint64_t rss, base::CounterVisitor& v) {
  using base::MetricKind;
  v.Visit("process_resident_memory_bytes", MetricKind::kGauge, static_cast<double>(rss),
          "Resident set size of the daemon");
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  v.Visit("process_user_cpu_seconds_total", MetricKind::kCounter, Seconds(usage.ru_utime),
          "User CPU time of the daemon");
  v.Visit("process_system_cpu_seconds_total", MetricKind::kCounter, Seconds(usage.ru_stime),
          "System CPU time of the daemon");
  const base::MetricLabel labels[] = {{"version", dispatch::kKotobaVersion},
                                      {"memcached_version", dispatch::kWireVersion}};
  v.Visit("version", MetricKind::kGauge, 1, "Version running (always 1)", labels, 2);
}

}  // namespace kmd::admin
