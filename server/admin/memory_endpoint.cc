// ServeMemory: routes only; the reports are core/profile's (memory_json.h, memory_svg.h).
// Each request copies one snapshot out of the monitor (no lock held while rendering).
#include "server/admin/memory_endpoint.h"

#include "core/profile/memory_json.h"
#include "core/profile/memory_svg.h"

namespace kmd::admin {

void ServeMemory(HttpServer& server, const profile::MemoryMonitor& monitor) {
  server.Handle("/debug/memory", [&monitor] {
    HttpResponse r;
    r.content_type = "application/json";
    r.body = profile::MemoryJson(monitor.Snapshot());
    return r;
  });
  server.Handle("/debug/memory.svg", [&monitor] {
    HttpResponse r;
    r.content_type = "image/svg+xml";
    r.body = profile::MemorySvg(monitor.Snapshot());
    return r;
  });
  server.Handle("/", [] {
    HttpResponse index;
    index.content_type = "text/html; charset=utf-8";
    index.body =
        "<html><head><title>kotoba-memd admin</title></head><body><h1>kotoba-memd admin</h1>"
        "<p><a href=\"/debug/memory.svg\">/debug/memory.svg</a> (memory by kind over time)</p>"
        "<p><a href=\"/debug/memory\">/debug/memory</a> (the same as JSON)</p>"
        "<p><a href=\"/debug/leaks\">/debug/leaks</a> (leak suspects, JSON)</p>"
        "<p><a href=\"/debug/heap\">/debug/heap</a> (live sampled bytes as collapsed stacks; "
        "<a href=\"/debug/heap?format=json\">JSON</a>)</p>"
        "<img src=\"/debug/memory.svg\" alt=\"memory by kind\"/></body></html>\n";
    return index;
  });
}

}  // namespace kmd::admin
