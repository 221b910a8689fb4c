// The network layer's figures (connections, bytes, uptime) reported through the counter visitor,
// next to the ServerCounters that hold them (session.h).
// Thread-safety: reads the atomics with relaxed loads; callable from any thread.
#pragma once

#include <cstdint>

#include "core/base/counters.h"
#include "server/net/session.h"

namespace kmd::net {

// `now_seconds` is Unix time (the clock that set counters.started_at).
void VisitServerCounters(const ServerCounters& counters, int64_t now_seconds,
                         base::CounterVisitor& visitor);

}  // namespace kmd::net
