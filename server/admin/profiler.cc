// Profiler: construction order is dependency order (sampler, items, detector, monitor, reporter).
#include "server/admin/profiler.h"

#include <spdlog/spdlog.h>

#include "core/base/alloc_sample_hook.h"

namespace kmd::admin {
namespace {

void LogFinding(const profile::LeakFinding& f) {
  std::string where;
  for (size_t i = 0; i < f.stack.size() && i < 4; ++i)
    where.append(i == 0 ? "" : " <- ").append(f.stack[i]);
  spdlog::warn("leak suspect: {} grows {:.0f} bytes/s (confidence {:.4f}, {} bytes now){}{}",
               f.site, f.bytes_per_second, f.confidence, f.bytes, where.empty() ? "" : " at ",
               where);
}

}  // namespace

Profiler::Profiler(const config::ProfileConfig& config, const cache::Store& store,
                   std::function<cache::OutsideBudget()> read_outside) {
  const auto interval = std::chrono::milliseconds(config.interval_ms);
  if (config.sample_bytes > 0 && !base::g_alloc_interposed.load()) {
    spdlog::warn(
        "profile.sample_bytes {}: this executable does not interpose operator new, so no "
        "allocation is sampled (/debug/heap and per-site leak detection stay empty)",
        config.sample_bytes);
  } else if (config.sample_bytes > 0) {
    base::SetSampleInterval(config.sample_bytes);
    sampler_ = std::make_unique<profile::AllocSampler>(true);
  }
  items_ = std::make_unique<profile::ItemProfile>(config.prefix_delimiter, true);
  profile::LeakOptions leak_options;
  leak_options.window = config.leak_window;
  leak_options.interval = interval;
#if defined(__SANITIZE_ADDRESS__)
  leak_options.judge_unaccounted = false;
  spdlog::warn("leak detector: AddressSanitizer's quarantine grows RSS by design, so this build "
               "judges allocation sites only (the unaccounted-memory trend is off)");
#endif
  leaks_ = std::make_unique<profile::LeakDetector>(sampler_.get(), leak_options, &LogFinding);
  profile::MonitorOptions options;
  options.interval = interval;
  options.history = config.history;
  options.read_outside = std::move(read_outside);
  options.observer = [leaks = leaks_.get()](const profile::MemorySample& s) { leaks->Observe(s); };
  monitor_ = std::make_unique<profile::MemoryMonitor>(store, options);
  heap_ = std::make_unique<profile::HeapReporter>(sampler_.get(), monitor_.get(), items_.get(),
                                                  sampler_ ? config.sample_bytes : 0);
}

}  // namespace kmd::admin
