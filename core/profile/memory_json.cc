// MemoryJson: written by hand with JsonWriter (numbers and fixed ASCII keys only).
// Pure and thread-safe.
#include "core/profile/memory_json.h"

#include <functional>

#include "core/profile/json_writer.h"

namespace kmd::profile {
namespace {

using Json = JsonWriter;

// An array of one figure over the history.
void Series(Json& j, std::string_view key, const std::vector<MemorySample>& history,
            const std::function<uint64_t(const MemorySample&)>& figure) {
  j.Key(key);
  j.Open('[');
  for (const MemorySample& s : history) j.Number(figure(s));
  j.Close(']');
}

void Sample(Json& j, const MemorySample& s) {
  j.Open('{');
  j.Field("time_ms", static_cast<uint64_t>(s.time_ms));
  j.Field("rss_bytes", s.rss);
  j.Field("accounted_bytes", s.split.accounted());
  j.Field("items", s.items);
  j.Field("limit_bytes", s.budget);
  j.Field("sample_ns", uint64_t{s.sample_ns});
  j.Key("kinds");
  j.Open('{');
  const auto values = s.split.values();
  for (size_t i = 0; i < values.size(); ++i) j.Field(cache::MemorySplit::kNames[i], values[i]);
  j.Close('}');
  j.Object("malloc", {{"arena_bytes", s.malloc.arena},
                      {"in_use_bytes", s.malloc.in_use},
                      {"free_bytes", s.malloc.free},
                      {"mmap_bytes", s.malloc.mmap}});
  j.Key("page_source");
  j.Open('{');
  s.page_source.ForEach([&j](const char* name, uint64_t value) { j.Field(name, value); });
  j.Close('}');
}

}  // namespace

void ClassesJson(JsonWriter& j, const std::vector<cache::ClassStats>& classes) {
  j.Open('[');
  for (const cache::ClassStats& k : classes) {
    j.Open('{');
    j.Field("id", uint64_t{k.id});
    j.Field("chunk_size", uint64_t{k.chunk_size});
    j.Field("pages", k.total_pages);
    j.Field("items", k.items);
    j.Field("used_chunks", k.used_chunks);
    j.Field("free_chunks", k.free_chunks);
    j.Field("payload_bytes", k.payload_bytes);
    j.Field("header_bytes", k.header_bytes);
    j.Field("slack_bytes", k.slack_bytes);
    j.Close('}');
  }
  j.Close(']');
}

std::string MemoryJson(const MemorySnapshot& snap) {
  std::string out;
  out.reserve(256 + snap.history.size() * 8 * 12);
  Json j(out);
  j.Open('{');
  j.Field("interval_ms", uint64_t{snap.interval_ms});
  j.Field("capacity", uint64_t{snap.capacity});
  j.Field("samples_taken", snap.samples_taken);
  j.Field("samples_held", uint64_t{snap.history.size()});
  j.Key("latest");
  if (snap.has_latest) {
    Sample(j, snap.latest);
    j.Key("classes");
    ClassesJson(j, snap.classes);
    j.Close('}');
  } else {
    out += "null";
  }
  j.Key("history");
  j.Open('{');
  Series(j, "time_ms", snap.history,
         [](const MemorySample& s) { return static_cast<uint64_t>(s.time_ms); });
  Series(j, "rss_bytes", snap.history, [](const MemorySample& s) { return s.rss; });
  for (size_t i = 0; i < cache::MemorySplit::kKinds; ++i) {
    Series(j, cache::MemorySplit::kNames[i], snap.history,
           [i](const MemorySample& s) { return s.split.values()[i]; });
  }
  j.Close('}');
  j.Close('}');
  out += '\n';
  return out;
}

}  // namespace kmd::profile
