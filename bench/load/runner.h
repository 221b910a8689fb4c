// The load engine: one Worker per thread, each with its own io_context and its connections; a
// connection keeps up to `pipeline` requests in flight and writes each batch of new requests in
// one write from a buffer sized once at start. Workers share only the read-only RunPlan; each
// owns its histogram and counters, which RunPhase merges after every thread has joined.
// Invariant: a request's latency runs from its send time (closed loop) or its intended send time
// (open loop, --rate) to the parse of its last reply byte, so a stalled server cannot hide delay.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "bench/load/histogram.h"
#include "bench/load/options.h"

namespace kmd::bench {

int64_t NowNs();  // steady clock

struct PhaseResult {
  Histogram latency_ns;
  // Open loop only: how late each request left against its schedule. A large lag means the
  // client (not the server) could not keep the rate; latency already includes it.
  Histogram send_lag_ns;
  uint64_t requests = 0;  // completed inside the measurement window
  uint64_t sets = 0;
  uint64_t gets = 0;
  uint64_t hits = 0;    // per key
  uint64_t misses = 0;  // per key
  uint64_t errors = 0;  // unexpected statuses, unparsable replies, requests lost to a closed socket
  // Requests still unanswered 2 s after the window closed (a server that went silent); they are
  // also counted in errors by the report.
  uint64_t timeouts = 0;
  int64_t start_ns = 0;          // first request may go out
  int64_t measure_start_ns = 0;  // after warmup
  int64_t measure_end_ns = 0;    // end of the window (duration) or last completion (--requests)
  double window_seconds() const { return (measure_end_ns - measure_start_ns) / 1e9; }
};

// Hooks the caller runs on the main thread at the window's edges (for CPU sampling).
struct PhaseHooks {
  std::function<void()> at_measure_start;
  std::function<void()> at_measure_end;
};

// Prefill: every key in [0, key_space) set once, spread over all connections, no warmup.
Options PrefillOptions(const Options& o);

// Connects threads x connections sockets (plus o.idle_connections kept idle), runs the workload
// and returns the merged result. Throws std::runtime_error if the server cannot be reached.
PhaseResult RunPhase(const Options& o, bool prefill, const PhaseHooks& hooks);

}  // namespace kmd::bench
