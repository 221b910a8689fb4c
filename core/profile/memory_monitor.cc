// MemoryMonitor: the sampling loop. The store walk (Stats()) and the /proc read happen outside
// the ring's mutex, so a reader of /debug/memory never waits for a sample to be taken.
#include "core/profile/memory_monitor.h"

namespace kmd::profile {
namespace {

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

MemoryMonitor::MemoryMonitor(const cache::Store& store, const MonitorOptions& options)
    : store_(store), options_(options), ring_(options.history) {}

MemoryMonitor::~MemoryMonitor() { Stop(); }

void MemoryMonitor::Start() {
  if (thread_.joinable()) return;
  SampleNow();
  thread_ = std::thread([this] { Run(); });
}

void MemoryMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MemoryMonitor::Run() {
  std::unique_lock lock(mu_);
  auto next = std::chrono::steady_clock::now() + options_.interval;
  while (!stop_) {
    if (wake_.wait_until(lock, next, [this] { return stop_; })) break;
    lock.unlock();
    SampleNow();
    lock.lock();
    // Fixed-rate, but after a stall (suspended process) resume from now rather than catch up.
    next += options_.interval;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now + options_.interval;
  }
}

MemorySample MemoryMonitor::SampleNow() {
  const auto start = std::chrono::steady_clock::now();
  cache::StoreStats stats = store_.Stats();
  MemorySample sample;
  sample.time_ms = UnixMillis();
  sample.rss = options_.read_rss();
  const cache::OutsideBudget outside =
      options_.read_outside ? options_.read_outside() : cache::OutsideBudget{};
  sample.split = cache::SplitMemory(stats, sample.rss, outside);
  sample.malloc = ReadMalloc();
  sample.page_source = stats.page_source_stats;
  sample.items = stats.curr_items;
  sample.budget = stats.limit_maxbytes;
  const auto cost = std::chrono::steady_clock::now() - start;
  sample.sample_ns = static_cast<uint32_t>(std::min<int64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(cost).count(), UINT32_MAX));
  {
    std::lock_guard lock(mu_);
    ring_.Push(sample);
    classes_ = std::move(stats.classes);
    ++taken_;
    busy_ns_ += sample.sample_ns;
  }
  if (options_.observer) options_.observer(sample);
  return sample;
}

std::optional<MemorySample> MemoryMonitor::Latest() const {
  std::lock_guard lock(mu_);
  if (ring_.empty()) return std::nullopt;
  return ring_.Newest();
}

MemorySnapshot MemoryMonitor::Snapshot() const {
  MemorySnapshot out;
  out.interval_ms = static_cast<uint32_t>(options_.interval.count());
  out.capacity = options_.history;
  std::lock_guard lock(mu_);
  out.samples_taken = taken_;
  out.history = ring_.ToVector();
  out.classes = classes_;
  out.has_latest = !ring_.empty();
  if (out.has_latest) out.latest = ring_.Newest();
  return out;
}

size_t MemoryMonitor::held() const {
  std::lock_guard lock(mu_);
  return ring_.size();
}

uint64_t MemoryMonitor::busy_ns() const {
  std::lock_guard lock(mu_);
  return busy_ns_;
}

}  // namespace kmd::profile
