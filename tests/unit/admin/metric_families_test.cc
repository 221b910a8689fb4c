// MetricFamilies: visits grouped into families under the prefix; histograms made cumulative; a
// name reported with two kinds is a reporter bug that surfaces as an exception.
#include "server/admin/metric_families.h"

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <stdexcept>

namespace kmd::admin {
namespace {

using base::MetricKind;
using base::MetricLabel;

TEST_CASE("families: one per name, in first-visit order, labels kept, prefix added") {
  MetricFamilies f("kotoba_");
  const MetricLabel get[] = {{"command", "get"}, {"status", "hit"}};
  const MetricLabel set[] = {{"command", "set"}, {"status", "hit"}};
  f.Visit("commands_total", MetricKind::kCounter, 3, "Requests", get, 2);
  f.Visit("current_items", MetricKind::kGauge, 7, "Items");
  f.Visit("commands_total", MetricKind::kCounter, 4, "ignored: first help wins", set, 2);
  const auto& fams = f.families();
  REQUIRE(fams.size() == 2);
  CHECK(fams[0].name == "kotoba_commands_total");
  CHECK(fams[0].help == "Requests");
  CHECK(fams[0].type == prometheus::MetricType::Counter);
  REQUIRE(fams[0].metric.size() == 2);
  CHECK(fams[0].metric[1].counter.value == 4);
  REQUIRE(fams[0].metric[1].label.size() == 2);
  CHECK(fams[0].metric[1].label[0].name == "command");
  CHECK(fams[0].metric[1].label[0].value == "set");
  CHECK(fams[1].name == "kotoba_current_items");
  CHECK(fams[1].type == prometheus::MetricType::Gauge);
  CHECK(fams[1].metric[0].gauge.value == 7);
}

TEST_CASE("families: histogram buckets become cumulative with +Inf last") {
  MetricFamilies f("kotoba_");
  const std::array<double, 2> bounds = {0.001, 0.01};
  const std::array<uint64_t, 3> counts = {5, 2, 1};
  f.VisitHistogram("request_duration_seconds", {bounds, counts, 0.5}, "Latency");
  const auto& h = f.families().at(0).metric.at(0).histogram;
  CHECK(f.families()[0].type == prometheus::MetricType::Histogram);
  REQUIRE(h.bucket.size() == 3);
  CHECK(h.bucket[0].cumulative_count == 5);
  CHECK(h.bucket[1].cumulative_count == 7);
  CHECK(h.bucket[2].cumulative_count == 8);
  CHECK(std::isinf(h.bucket[2].upper_bound));
  CHECK(h.sample_count == 8);
  CHECK(h.sample_sum == 0.5);
}

TEST_CASE("families: a name with two kinds or a malformed histogram throws") {
  MetricFamilies f("k_");
  f.Visit("x", MetricKind::kGauge, 1, "x");
  CHECK_THROWS_AS(f.Visit("x", MetricKind::kCounter, 1, "x"), std::logic_error);
  const std::array<double, 2> bounds = {1, 2};
  const std::array<uint64_t, 2> counts = {1, 1};
  CHECK_THROWS_AS(f.VisitHistogram("h", {bounds, counts, 0}, "h"), std::logic_error);
}

}  // namespace
}  // namespace kmd::admin
