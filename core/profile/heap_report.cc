// HeapReporter: sites sorted by live bytes; frames named once each (FrameNamer's cache).
#include "core/profile/heap_report.h"

#include <algorithm>
#include <chrono>

#include "core/profile/json_writer.h"
#include "core/profile/memory_json.h"

namespace kmd::profile {
namespace {

std::vector<SiteFigures> LiveSites(const AllocSampler* sampler) {
  std::vector<SiteFigures> sites;
  if (sampler == nullptr) return sites;
  sites = sampler->Sites();
  std::erase_if(sites, [](const SiteFigures& s) { return s.live_bytes == 0; });
  std::sort(sites.begin(), sites.end(),
            [](const SiteFigures& a, const SiteFigures& b) { return a.live_bytes > b.live_bytes; });
  return sites;
}

}  // namespace

HeapReporter::HeapReporter(const AllocSampler* sampler, const MemoryMonitor* monitor,
                           const ItemProfile* items, uint64_t sample_bytes)
    : sampler_(sampler), monitor_(monitor), items_(items), sample_bytes_(sample_bytes) {}

std::string HeapReporter::Collapsed() {
  const std::vector<SiteFigures> sites = LiveSites(sampler_);
  std::lock_guard lock(mu_);
  std::string out;
  for (const SiteFigures& site : sites) {
    // flamegraph.pl wants the root first: the captured stack is innermost first.
    for (size_t i = site.frames.size(); i-- > 0;) {
      out += CollapsedFrame(namer_.Name(site.frames[i]));
      out += i == 0 ? ' ' : ';';
    }
    out += std::to_string(site.live_bytes);
    out += '\n';
  }
  return out;
}

std::string HeapReporter::Json() {
  const auto start = std::chrono::steady_clock::now();
  std::vector<SiteFigures> sites = LiveSites(sampler_);
  const size_t site_count = sites.size();
  uint64_t live_total = 0;
  for (const SiteFigures& s : sites) live_total += s.live_bytes;
  if (sites.size() > kTopSites) sites.resize(kTopSites);
  std::string out;
  JsonWriter j(out);
  j.Open('{');
  j.Field("sample_bytes", sample_bytes_);
  j.Field("sampling", sampler_ != nullptr);
  j.Field("live_sampled_bytes", live_total);
  j.Field("sites_live", uint64_t{site_count});
  j.Key("sites");
  j.Open('[');
  {
    std::lock_guard lock(mu_);
    for (const SiteFigures& site : sites) {
      std::vector<std::string> names;
      for (void* pc : site.frames) names.push_back(namer_.Name(pc));
      const size_t first = SiteFrame(names);
      j.Open('{');
      j.Field("site", names.empty() ? std::string_view("?") : std::string_view(names[first]));
      j.Field("live_bytes", site.live_bytes);
      j.Field("live_samples", site.live_samples);
      j.Field("total_bytes", site.total_bytes);
      j.Key("stack");
      j.Open('[');
      for (size_t i = first; i < names.size() && i < first + kJsonFrames; ++i) j.String(names[i]);
      j.Close(']');
      j.Close('}');
    }
  }
  j.Close(']');
  j.Key("slab_classes");
  ClassesJson(
      j, monitor_ != nullptr ? monitor_->Snapshot().classes : std::vector<cache::ClassStats>{});
  const ItemWrites writes = items_ != nullptr ? items_->Snapshot() : ItemWrites{};
  j.Key("key_prefixes");
  j.Open('{');
  j.Field("written_bytes", writes.prefix_total);
  j.Key("top");
  j.Open('[');
  for (const HeavyHitter& h : writes.prefixes) {
    j.Open('{');
    j.Field("prefix", h.key);
    j.Field("bytes", h.count);
    j.Field("bytes_error", h.error);
    j.Close('}');
  }
  j.Close(']');
  j.Close('}');
  j.Key("commands");
  j.Open('{');
  for (size_t op = 0; op < writes.by_command.size(); ++op) {
    j.Key(base::ItemWriteOpName(static_cast<base::ItemWriteOp>(op)));
    j.Open('{');
    j.Field("writes", writes.by_command[op].writes);
    j.Field("bytes", writes.by_command[op].bytes);
    j.Close('}');
  }
  j.Close('}');
  const auto took = std::chrono::steady_clock::now() - start;
  j.Field("analysis_us",
          static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()) /
              1000.0);
  j.Close('}');
  out += '\n';
  return out;
}

}  // namespace kmd::profile
