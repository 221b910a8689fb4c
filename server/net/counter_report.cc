// VisitServerCounters: memcached_exporter's names (without `memcached_`) for what `stats` shows
// as curr_connections, total_connections, rejected_connections, conn_yields, bytes_read, ...,
// and the workers' buffer pools (ours: buffer_bytes, buffer_pool_bytes, ... as in `stats`).
#include "server/net/counter_report.h"

namespace kmd::net {

void VisitServerCounters(const ServerCounters& c, int64_t now_seconds, base::CounterVisitor& v) {
  using base::MetricKind;
  const auto load = [](const std::atomic<uint64_t>& a) {
    return static_cast<double>(a.load(std::memory_order_relaxed));
  };
  v.Visit("current_connections", MetricKind::kGauge, load(c.curr_connections),
          "Open client connections");
  v.Visit("connections_total", MetricKind::kCounter, load(c.total_connections),
          "Client connections accepted since start");
  v.Visit("connections_rejected_total", MetricKind::kCounter, load(c.rejected_connections),
          "Connections closed at accept because of the -c limit");
  v.Visit("connections_yielded_total", MetricKind::kCounter, load(c.conn_yields),
          "Times a connection yielded after -R requests of one read");
  v.Visit("max_connections", MetricKind::kGauge, c.max_connections, "Connection limit (-c)");
  v.Visit("read_bytes_total", MetricKind::kCounter, load(c.bytes_read),
          "Bytes read from client connections");
  v.Visit("written_bytes_total", MetricKind::kCounter, load(c.bytes_written),
          "Bytes written to client connections");
  v.Visit("worker_threads", MetricKind::kGauge, c.threads, "Worker threads (-t)");
  v.Visit("uptime_seconds", MetricKind::kGauge, static_cast<double>(now_seconds - c.started_at),
          "Seconds since the server started (as stats uptime)");
  if (!c.buffer_stats) return;
  const memory::BufferPoolStats b = c.buffer_stats();
  const struct {
    const char* name;
    MetricKind kind;
    uint64_t value;
    const char* help;
  } buffers[] = {
      {"buffer_bytes", MetricKind::kGauge, b.in_use_bytes,
       "Connection buffers and batch arenas in use, from the workers' pools (outside -m)"},
      {"buffer_pool_bytes", MetricKind::kGauge, b.pooled_bytes,
       "Idle buffers the workers' pools keep for reuse (outside -m)"},
      {"buffer_pool_hits_total", MetricKind::kCounter, b.hits,
       "Buffer requests served from a worker's pool"},
      {"buffer_pool_misses_total", MetricKind::kCounter, b.misses,
       "Buffer requests that went to the system allocator"},
      {"buffer_pool_trimmed_bytes_total", MetricKind::kCounter, b.trimmed_bytes,
       "Idle buffer bytes given back to the system (pool cap or trim)"},
  };
  for (const auto& f : buffers) v.Visit(f.name, f.kind, static_cast<double>(f.value), f.help);
}

}  // namespace kmd::net
