// Counter visitor: core modules report their metrics as (name, kind, value, help, labels)
// without knowing who consumes them (stats command, Prometheus exporter).
// Thread-safety: a visitor is called on the reporting thread; values are a snapshot.
// Naming: reporters use Prometheus conventions without a prefix (base units, `_total` on
// counters, `_bytes`, `_seconds`); one name always has one kind, help text and label names.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace kmd::base {

enum class MetricKind : uint8_t { kCounter, kGauge };

struct MetricLabel {
  std::string_view name;
  std::string_view value;
};

// A histogram snapshot: bucket_counts[i] observations fell in (upper_bounds[i-1],
// upper_bounds[i]]; the last count (bucket_counts.size() == upper_bounds.size() + 1) is the
// +Inf bucket. Counts are per bucket, not cumulative. Bounds ascend, in the metric's base unit.
struct HistogramView {
  std::span<const double> upper_bounds;
  std::span<const uint64_t> bucket_counts;
  double sum = 0;
};

class CounterVisitor {
 public:
  virtual ~CounterVisitor() = default;
  virtual void Visit(std::string_view name, MetricKind kind, double value, std::string_view help,
                     const MetricLabel* labels = nullptr, int label_count = 0) = 0;
  // Distributions (e.g. request latency). Visitors that want scalar figures only ignore them.
  virtual void VisitHistogram(std::string_view /*name*/, const HistogramView& /*histogram*/,
                              std::string_view /*help*/, const MetricLabel* /*labels*/ = nullptr,
                              int /*label_count*/ = 0) {}
};

// One figure of a fixed list, for reporters that keep their metrics as a table.
struct MetricRow {
  std::string_view name;
  MetricKind kind;
  double value;
  std::string_view help;
};

// Visits every row, each with the same labels.
inline void VisitRows(CounterVisitor& visitor, std::span<const MetricRow> rows,
                      const MetricLabel* labels = nullptr, int label_count = 0) {
  for (const MetricRow& r : rows)
    visitor.Visit(r.name, r.kind, r.value, r.help, labels, label_count);
}

}  // namespace kmd::base
