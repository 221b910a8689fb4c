// The allocation profiler's pages on the admin listener: /debug/leaks (JSON: the leak
// detector's findings, judged afresh for each request) and /debug/heap (collapsed stacks of live
// sampled bytes, flamegraph.pl's input; ?format=json: sites, slab classes, key prefixes and
// commands). Thread-safety: handlers run on the server's thread; the detector and the reporter
// are thread-safe and must outlive the server.
#pragma once

#include "core/profile/heap_report.h"
#include "core/profile/leak_detector.h"
#include "server/admin/http_server.h"

namespace kmd::admin {

void ServeProfile(HttpServer& server, profile::LeakDetector& leaks, profile::HeapReporter& heap);

}  // namespace kmd::admin
