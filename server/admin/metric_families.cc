// MetricFamilies: counter/gauge values as they are; histograms from per-bucket counts to the
// cumulative buckets (with +Inf) the exposition format wants.
#include "server/admin/metric_families.h"

#include <limits>
#include <stdexcept>

namespace kmd::admin {

prometheus::ClientMetric& MetricFamilies::Add(std::string_view name, prometheus::MetricType type,
                                              std::string_view help,
                                              const base::MetricLabel* labels, int label_count) {
  std::string full = prefix_ + std::string(name);
  auto [it, fresh] = index_.try_emplace(full, families_.size());
  if (fresh) {
    prometheus::MetricFamily family;
    family.name = std::move(full);
    family.help = std::string(help);
    family.type = type;
    families_.push_back(std::move(family));
  }
  prometheus::MetricFamily& family = families_[it->second];
  if (family.type != type) {
    throw std::logic_error("metric " + family.name + " reported with two different types");
  }
  prometheus::ClientMetric& metric = family.metric.emplace_back();
  for (int i = 0; i < label_count; ++i) {
    metric.label.push_back({std::string(labels[i].name), std::string(labels[i].value)});
  }
  return metric;
}

void MetricFamilies::Visit(std::string_view name, base::MetricKind kind, double value,
                           std::string_view help, const base::MetricLabel* labels,
                           int label_count) {
  if (kind == base::MetricKind::kCounter) {
    Add(name, prometheus::MetricType::Counter, help, labels, label_count).counter.value = value;
  } else {
    Add(name, prometheus::MetricType::Gauge, help, labels, label_count).gauge.value = value;
  }
}

void MetricFamilies::VisitHistogram(std::string_view name, const base::HistogramView& histogram,
                                    std::string_view help, const base::MetricLabel* labels,
                                    int label_count) {
  if (histogram.bucket_counts.size() != histogram.upper_bounds.size() + 1) {
    throw std::logic_error("histogram " + std::string(name) + ": bucket and bound counts differ");
  }
  prometheus::ClientMetric::Histogram& out =
      Add(name, prometheus::MetricType::Histogram, help, labels, label_count).histogram;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < histogram.bucket_counts.size(); ++i) {
    cumulative += histogram.bucket_counts[i];
    const double bound = i < histogram.upper_bounds.size()
                             ? histogram.upper_bounds[i]
                             : std::numeric_limits<double>::infinity();
    out.bucket.push_back({cumulative, bound});
  }
  out.sample_count = cumulative;
  out.sample_sum = histogram.sum;
}

}  // namespace kmd::admin
