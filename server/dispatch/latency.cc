// LatencyShard / LatencyRecorder: fixed buckets in integer nanoseconds on the request path,
// converted to seconds only when a scrape reports them.
#include "server/dispatch/latency.h"

namespace kmd::dispatch {
namespace {

constexpr size_t kCommands = static_cast<size_t>(LatencyCommand::kCount);

constexpr std::array<std::string_view, kCommands> kNames = {
    "get",  "set",  "add",    "replace", "append", "prepend", "cas",
    "incr", "decr", "delete", "touch",   "flush",  "stats",   "other"};

constexpr std::array<uint64_t, kLatencyBoundsSeconds.size()> kBoundsNanos = [] {
  std::array<uint64_t, kLatencyBoundsSeconds.size()> out{};
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<uint64_t>(kLatencyBoundsSeconds[i] * 1e9 + 0.5);
  }
  return out;
}();

// Relaxed load + store: the owner is the only writer, so no atomic read-modify-write is needed.
void Add(std::atomic<uint64_t>& cell, uint64_t delta) {
  cell.store(cell.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}

}  // namespace

std::string_view LatencyCommandName(LatencyCommand command) {
  return kNames[static_cast<size_t>(command)];
}

void LatencyShard::Record(LatencyCommand command, uint64_t nanos) {
  Cells& cells = cells_[static_cast<size_t>(command)];
  size_t bucket = 0;
  while (bucket < kBoundsNanos.size() && nanos > kBoundsNanos[bucket]) ++bucket;
  Add(cells.buckets[bucket], 1);
  Add(cells.sum_nanos, nanos);
}

void LatencyShard::AddTo(LatencyCommand command, Totals* totals) const {
  const Cells& cells = cells_[static_cast<size_t>(command)];
  for (size_t b = 0; b < kBuckets; ++b) {
    totals->buckets[b] += cells.buckets[b].load(std::memory_order_relaxed);
  }
  totals->sum_nanos += cells.sum_nanos.load(std::memory_order_relaxed);
}

LatencyShard* LatencyRecorder::ShardForThisThread() {
  const std::thread::id self = std::this_thread::get_id();
  std::lock_guard lock(mu_);
  for (auto& [id, shard] : shards_) {
    if (id == self) return shard.get();
  }
  shards_.emplace_back(self, std::make_unique<LatencyShard>());
  return shards_.back().second.get();
}

void LatencyRecorder::VisitCounters(base::CounterVisitor& visitor) const {
  std::lock_guard lock(mu_);
  for (size_t c = 0; c < kCommands; ++c) {
    const auto command = static_cast<LatencyCommand>(c);
    LatencyShard::Totals totals;
    for (const auto& entry : shards_) entry.second->AddTo(command, &totals);
    uint64_t count = 0;
    for (uint64_t n : totals.buckets) count += n;
    if (count == 0) continue;
    const base::MetricLabel label{"command", kNames[c]};
    const base::HistogramView view{kLatencyBoundsSeconds, totals.buckets,
                                   static_cast<double>(totals.sum_nanos) * 1e-9};
    visitor.VisitHistogram("request_duration_seconds", view,
                           "Server-side request time, from parse to response composed", &label, 1);
  }
}

}  // namespace kmd::dispatch
