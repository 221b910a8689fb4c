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
  const base::MetricRow rows[] = {
      {"current_connections", MetricKind::kGauge, load(c.curr_connections),
       "Open client connections"},
      {"connections_total", MetricKind::kCounter, load(c.total_connections),
       "Client connections accepted since start"},
      {"connections_rejected_total", MetricKind::kCounter, load(c.rejected_connections),
       "Connections closed at accept because of the -c limit"},
      {"connections_yielded_total", MetricKind::kCounter, load(c.conn_yields),
       "Times a connection yielded after -R requests of one read"},
      {"connection_copied_bytes", MetricKind::kGauge, load(c.copied_bytes),
       "Stalled readers' output copied out of item memory, held now"},
      {"connection_copies_refused_total", MetricKind::kCounter, load(c.copies_refused),
       "Stalled readers closed without a copy because RSS was over memory.rss_limit"},
      {"connection_copies_shrunk_total", MetricKind::kCounter, load(c.copies_shrunk),
       "Connections aborted by the RSS controller to free their copied output"},
      {"max_connections", MetricKind::kGauge, static_cast<double>(c.max_connections),
       "Connection limit (-c)"},
      {"read_bytes_total", MetricKind::kCounter, load(c.bytes_read),
       "Bytes read from client connections"},
      {"written_bytes_total", MetricKind::kCounter, load(c.bytes_written),
       "Bytes written to client connections"},
      {"worker_threads", MetricKind::kGauge, static_cast<double>(c.threads), "Worker threads (-t)"},
      {"uptime_seconds", MetricKind::kGauge, static_cast<double>(now_seconds - c.started_at),
       "Seconds since the server started (as stats uptime)"},
  };
  base::VisitRows(v, rows);
  if (!c.buffer_stats) return;
  const memory::BufferPoolStats b = c.buffer_stats();
  const base::MetricRow buffers[] = {
      {"buffer_bytes", MetricKind::kGauge, static_cast<double>(b.in_use_bytes),
       "Connection buffers and batch arenas in use, from the workers' pools (outside -m)"},
      {"buffer_pool_bytes", MetricKind::kGauge, static_cast<double>(b.pooled_bytes),
       "Idle buffers the workers' pools keep for reuse (outside -m)"},
      {"buffer_pool_hits_total", MetricKind::kCounter, static_cast<double>(b.hits),
       "Buffer requests served from a worker's pool"},
      {"buffer_pool_misses_total", MetricKind::kCounter, static_cast<double>(b.misses),
       "Buffer requests that went to the system allocator"},
      {"buffer_pool_trimmed_bytes_total", MetricKind::kCounter, static_cast<double>(b.trimmed_bytes),
       "Idle buffer bytes given back to the system (pool cap or trim)"},
  };
  base::VisitRows(v, buffers);
}

}  // namespace kmd::net
