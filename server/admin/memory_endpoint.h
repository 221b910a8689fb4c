// The memory profiler's pages on the admin listener: /debug/memory (JSON: latest sample and the
// history), /debug/memory.svg (plot of memory by kind over time) and / (links to both).
// Thread-safety: handlers run on the server's thread; the monitor is thread-safe and must
// outlive the server.
#pragma once

#include "core/profile/memory_monitor.h"
#include "server/admin/http_server.h"

namespace kmd::admin {

void ServeMemory(HttpServer& server, const profile::MemoryMonitor& monitor);

}  // namespace kmd::admin
