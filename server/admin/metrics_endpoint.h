// MetricsEndpoint: one scrape of /metrics. Asks every source to report through the counter
// visitor (store, network counters, request latency, process), adds the memory nobody accounts
// for (RSS minus every accounted kind) and writes Prometheus's text format, `kotoba_` prefixed.
// Thread-safety: Scrape() may run on any thread, one call at a time per endpoint; the sources
// are thread-safe and must outlive the endpoint.
#pragma once

#include <string>

#include "core/cache/store.h"
#include "core/profile/leak_detector.h"
#include "core/reclaim/executor/rss_controller.h"
#include "server/admin/http_server.h"
#include "server/dispatch/latency.h"
#include "server/net/session.h"

namespace kmd::admin {

inline constexpr const char* kMetricPrefix = "kotoba_";

struct MetricsSources {
  const cache::Store* store = nullptr;
  const net::ServerCounters* counters = nullptr;
  const dispatch::LatencyRecorder* latency = nullptr;  // optional
  const profile::LeakDetector* leaks = nullptr;        // optional: profile.enabled
  const reclaim::RssController* rss = nullptr;         // optional (memory.rss_limit)
};

class MetricsEndpoint {
 public:
  explicit MetricsEndpoint(const MetricsSources& sources) : sources_(sources) {}

  // The exposition text; throws std::logic_error if a source reports inconsistently.
  std::string Scrape() const;
  // Scrape() as an HTTP answer (500 with the reason if it throws).
  HttpResponse Serve() const;

 private:
  MetricsSources sources_;
};

// Routes /metrics to `endpoint` on `server`, and / to a page that links it.
void ServeMetrics(HttpServer& server, const MetricsEndpoint& endpoint);

}  // namespace kmd::admin
