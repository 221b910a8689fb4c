// MetricsEndpoint: the only place that serializes (prometheus-cpp TextSerializer). Unaccounted
// memory is computed here because only here are all accounted kinds and the RSS seen together.
#include "server/admin/metrics_endpoint.h"

#include <prometheus/text_serializer.h>

#include <exception>
#include <sstream>

#include "core/base/clock.h"
#include "core/cache/memory_split.h"
#include "core/profile/process_memory.h"
#include "server/admin/metric_families.h"
#include "server/admin/process_metrics.h"
#include "server/dispatch/memory_stats.h"
#include "server/net/counter_report.h"

namespace kmd::admin {
namespace {

constexpr std::string_view kMemoryFamily = "memory_bytes";

// Forwards every figure and sums the accounted memory kinds on the way.
class AccountedSum final : public base::CounterVisitor {
 public:
  explicit AccountedSum(base::CounterVisitor& next) : next_(next) {}
  void Visit(std::string_view name, base::MetricKind kind, double value, std::string_view help,
             const base::MetricLabel* labels, int label_count) override {
    if (name == kMemoryFamily) accounted_ += value;
    next_.Visit(name, kind, value, help, labels, label_count);
  }
  void VisitHistogram(std::string_view name, const base::HistogramView& histogram,
                      std::string_view help, const base::MetricLabel* labels,
                      int label_count) override {
    next_.VisitHistogram(name, histogram, help, labels, label_count);
  }
  double accounted() const { return accounted_; }

 private:
  base::CounterVisitor& next_;
  double accounted_ = 0;
};

}  // namespace

std::string MetricsEndpoint::Scrape() const {
  MetricFamilies families(kMetricPrefix);
  AccountedSum visitor(families);
  sources_.store->VisitCounters(visitor);
  net::VisitServerCounters(*sources_.counters, base::SystemClock::Instance().NowSeconds(), visitor);
  // The kinds outside the budget; help text is the store's (first visit wins).
  const cache::OutsideBudget outside = dispatch::BufferAccounting(*sources_.counters);
  const uint64_t outside_values[] = {outside.buffers, outside.pools};
  for (size_t i = 0; i < std::size(outside_values); ++i) {
    const base::MetricLabel label{"kind",
                                  cache::MemorySplit::kNames[cache::MemorySplit::kBudgetKinds + i]};
    visitor.Visit(kMemoryFamily, base::MetricKind::kGauge, static_cast<double>(outside_values[i]),
                  "", &label, 1);
  }
  if (sources_.latency != nullptr) sources_.latency->VisitCounters(visitor);
  if (sources_.leaks != nullptr) sources_.leaks->VisitCounters(visitor);
  if (sources_.rss != nullptr) sources_.rss->VisitCounters(visitor);
  const uint64_t rss = profile::ResidentBytes();
  VisitProcess(rss, visitor);
  const uint64_t unaccounted =
      cache::UnaccountedBytes(rss, static_cast<uint64_t>(visitor.accounted()));
  const base::MetricLabel kind{"kind", "unaccounted"};
  // Help text is the store's (first visit wins).
  visitor.Visit(kMemoryFamily, base::MetricKind::kGauge, static_cast<double>(unaccounted), "",
                &kind, 1);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families.families());
  return out.str();
}

HttpResponse MetricsEndpoint::Serve() const {
  HttpResponse response;
  try {
    response.body = Scrape();
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  } catch (const std::exception& e) {
    response.status = 500;
    response.body = std::string("scrape failed: ") + e.what() + "\n";
  }
  return response;
}

void ServeMetrics(HttpServer& server, const MetricsEndpoint& endpoint) {
  server.Handle("/metrics", [&endpoint] { return endpoint.Serve(); });
  server.Handle("/", [] {
    HttpResponse index;
    index.content_type = "text/html; charset=utf-8";
    index.body =
        "<html><head><title>kotoba-memd</title></head><body><h1>kotoba-memd</h1>"
        "<p><a href=\"/metrics\">/metrics</a> (Prometheus text format)</p></body></html>\n";
    return index;
  });
}

}  // namespace kmd::admin
