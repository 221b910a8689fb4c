// ServeProfile: routes only; the reports are core/profile's (leak_json.h, heap_report.h).
#include "server/admin/profile_endpoint.h"

#include "core/profile/leak_json.h"

namespace kmd::admin {

void ServeProfile(HttpServer& server, profile::LeakDetector& leaks, profile::HeapReporter& heap) {
  server.Handle("/debug/leaks", [&leaks] {
    HttpResponse r;
    r.content_type = "application/json";
    r.body = profile::LeakJson(leaks.Report());
    return r;
  });
  server.Handle("/debug/heap", [&heap](std::string_view query) {
    HttpResponse r;
    const std::string_view format = QueryParam(query, "format");
    if (format == "json") {
      r.content_type = "application/json";
      r.body = heap.Json();
    } else if (format.empty() || format == "collapsed") {
      r.body = heap.Collapsed();
    } else {
      r.status = 400;
      r.body = "format must be collapsed (the default) or json\n";
    }
    return r;
  });
}

}  // namespace kmd::admin
