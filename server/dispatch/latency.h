// Server-side request latency per command family: from the start of a request's parse to its
// response composed in the output buffer (network time is not in it).
// Thread-safety: a LatencyShard has one writer, the worker thread it belongs to, which updates its
// cells with relaxed load + store (no read-modify-write, no lock, no shared cache line); a scrape
// reads every shard with relaxed loads and may see a request's bucket before its sum, which is
// harmless for a monitoring figure. Shards live as long as their LatencyRecorder.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/base/counters.h"

namespace kmd::dispatch {

// The `command` label values; memcached_exporter's names where it has them.
enum class LatencyCommand : uint8_t {
  kGet,  // get, gets, gat, gats, mg and the binary get/gat family
  kSet,
  kAdd,
  kReplace,
  kAppend,
  kPrepend,
  kCas,
  kIncr,
  kDecr,
  kDelete,
  kTouch,
  kFlush,
  kStats,
  kOther,  // version, verbosity, noop, quit, shutdown, ...
  kCount,
};

std::string_view LatencyCommandName(LatencyCommand command);

// Bucket upper bounds in seconds: server-side work is microseconds; the tail shows stalls.
inline constexpr std::array<double, 16> kLatencyBoundsSeconds = {
    1e-6, 2.5e-6, 5e-6,   1e-5, 2.5e-5, 5e-5, 1e-4,   2.5e-4,
    5e-4, 1e-3,   2.5e-3, 5e-3, 1e-2,   5e-2, 2.5e-1, 1.0};

class alignas(64) LatencyShard {
 public:
  static constexpr size_t kBuckets = kLatencyBoundsSeconds.size() + 1;  // + the +Inf bucket

  // Owner thread only.
  void Record(LatencyCommand command, uint64_t nanos);

  struct Totals {
    std::array<uint64_t, kBuckets> buckets{};
    uint64_t sum_nanos = 0;
  };
  // Any thread: adds this shard's figures for `command` to `totals`.
  void AddTo(LatencyCommand command, Totals* totals) const;

 private:
  struct Cells {
    std::array<std::atomic<uint64_t>, kBuckets> buckets{};
    std::atomic<uint64_t> sum_nanos{0};
  };
  std::array<Cells, static_cast<size_t>(LatencyCommand::kCount)> cells_;
};

class LatencyRecorder {
 public:
  // The calling thread's shard, created on its first call. Takes a lock: call it when a
  // connection's session is created (on its worker thread), never per request.
  LatencyShard* ShardForThisThread();

  // Reports `request_duration_seconds{command}` histograms, one per command seen so far.
  void VisitCounters(base::CounterVisitor& visitor) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::thread::id, std::unique_ptr<LatencyShard>>> shards_;
};

// Times consecutive requests of one read with one clock read each: a lap ends where the next one
// starts. A session with no shard (latency off) measures nothing.
class LatencyLaps {
 public:
  explicit LatencyLaps(LatencyShard* shard) : shard_(shard) {}
  void Start() {
    if (shard_ != nullptr) start_ = Now();
  }
  void End(LatencyCommand command) {
    if (shard_ == nullptr) return;
    const uint64_t now = Now();
    shard_->Record(command, now - start_);
    start_ = now;
  }

 private:
  static uint64_t Now() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }
  LatencyShard* shard_;
  uint64_t start_ = 0;
};

}  // namespace kmd::dispatch
