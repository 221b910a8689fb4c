// MetricFamilies: the one mapping from the counter visitor (core/base/counters.h) onto
// prometheus-cpp's MetricFamily values; every visited name gets `prefix`. Visits of one name with
// other labels join its family (first visit sets help and type, and its order in the output).
// Thread-safety: one builder per scrape, used on one thread.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/base/counters.h"

namespace kmd::admin {

class MetricFamilies final : public base::CounterVisitor {
 public:
  explicit MetricFamilies(std::string prefix) : prefix_(std::move(prefix)) {}

  // Throws std::logic_error when a name comes back with another kind (a reporter's bug).
  void Visit(std::string_view name, base::MetricKind kind, double value, std::string_view help,
             const base::MetricLabel* labels = nullptr, int label_count = 0) override;
  void VisitHistogram(std::string_view name, const base::HistogramView& histogram,
                      std::string_view help, const base::MetricLabel* labels = nullptr,
                      int label_count = 0) override;

  const std::vector<prometheus::MetricFamily>& families() const { return families_; }

 private:
  prometheus::ClientMetric& Add(std::string_view name, prometheus::MetricType type,
                                std::string_view help, const base::MetricLabel* labels,
                                int label_count);

  std::string prefix_;
  std::vector<prometheus::MetricFamily> families_;
  std::unordered_map<std::string, size_t> index_;  // full name -> families_ position
};

}  // namespace kmd::admin
