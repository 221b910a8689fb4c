// LeakJson: one object; findings in the report's order (active first, fastest first).
#include "core/profile/leak_json.h"

#include "core/profile/json_writer.h"

namespace kmd::profile {

std::string LeakJson(const LeakReport& report) {
  std::string out;
  JsonWriter j(out);
  j.Open('{');
  j.Field("judging", report.judging);
  j.Field("window_seconds", report.window_seconds);
  j.Field("points", uint64_t{report.points});
  j.Field("sites", uint64_t{report.sites});
  j.Field("analysis_us", static_cast<double>(report.analysis_ns) / 1000.0);
  j.Object("sampler", {{"samples", report.sampler.samples},
                       {"frees", report.sampler.frees},
                       {"dropped", report.sampler.dropped},
                       {"live", report.sampler.live}});
  j.Key("findings");
  j.Open('[');
  for (const LeakFinding& f : report.findings) {
    j.Open('{');
    j.Field("site", f.site);
    j.Field("kind", std::string_view(f.site_id == LeakFinding::kUnaccounted ? "unaccounted"
                                                                            : "allocation_site"));
    j.Field("active", f.active);
    j.Field("bytes_per_second", f.bytes_per_second);
    j.Field("confidence", f.confidence);
    j.Field("bytes", f.bytes);
    j.Field("first_found_ms", static_cast<uint64_t>(f.first_found_ms));
    j.Field("last_growing_ms", static_cast<uint64_t>(f.last_growing_ms));
    j.Key("stack");
    j.Open('[');
    for (const std::string& frame : f.stack) j.String(frame);
    j.Close(']');
    j.Close('}');
  }
  j.Close(']');
  j.Close('}');
  out += '\n';
  return out;
}

}  // namespace kmd::profile
