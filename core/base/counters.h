// Counter visitor: core modules report their metrics as (name, kind, value, help, labels)
// without knowing who consumes them (stats command, Prometheus exporter).
// Thread-safety: a visitor is called on the reporting thread; values are a snapshot.
#pragma once

#include <cstdint>
#include <string_view>

namespace kmd::base {

enum class MetricKind : uint8_t { kCounter, kGauge };

struct MetricLabel {
  std::string_view name;
  std::string_view value;
};

class CounterVisitor {
 public:
  virtual ~CounterVisitor() = default;
  virtual void Visit(std::string_view name, MetricKind kind, double value, std::string_view help,
                     const MetricLabel* labels = nullptr, int label_count = 0) = 0;
};

}  // namespace kmd::base
