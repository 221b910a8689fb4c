// LeakDetector over synthetic monitor samples and a sampler driven directly: nothing is judged
// before the series span the window; flat noisy memory and a warm-up that levels off give no
// finding; a site whose live bytes climb steadily is found once (on_found runs once) with its
// rate, stays listed, and turns inactive when it stops growing; unaccounted growth is a finding
// only when it does not come from free slab space being filled; the metrics report both.
#include "core/profile/leak_detector.h"

#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/profile/leak_json.h"

namespace kmd::profile {
namespace {

using namespace std::chrono_literals;

class Collect final : public base::CounterVisitor {
 public:
  void Visit(std::string_view name, base::MetricKind, double value, std::string_view,
             const base::MetricLabel* labels, int label_count) override {
    std::string key(name);
    if (label_count == 1) key.append("{").append(labels[0].value).append("}");
    values[key] = value;
  }
  std::map<std::string, double> values;
};

struct Harness {
  explicit Harness(const LeakOptions& options)
      : detector(&sampler, options, [this](const LeakFinding& f) { found.push_back(f); }) {}
  // One sample at second `t`: unaccounted and slab_free as given.
  void Sample(double t, double unaccounted, double slab_free = 0) {
    MemorySample s;
    s.time_ms = 1'700'000'000'000 + static_cast<int64_t>(t * 1000);
    s.split.unaccounted = static_cast<uint64_t>(std::max(0.0, unaccounted));
    s.split.slab_free = static_cast<uint64_t>(std::max(0.0, slab_free));
    detector.Observe(s);
  }
  AllocSampler sampler{false};
  std::vector<LeakFinding> found;
  LeakDetector detector;
};

LeakOptions TestOptions() {
  LeakOptions o;
  o.window = 60s;
  o.interval = 500ms;
  return o;
}

TEST_CASE("flat noisy memory and idle sites: judged, nothing found") {
  Harness h(TestOptions());
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0, 200 * 1024);
  const std::vector<void*> stack = {reinterpret_cast<void*>(0x1234)};
  static char blocks[4096];
  size_t next = 0;
  for (int i = 0; i < 400; ++i) {
    h.Sample(i * 0.5, 12e6 + noise(rng));
    // A site that allocates and frees all the time: its live bytes wander, never climb.
    h.sampler.Record(&blocks[next++ % sizeof(blocks)], 64 * 1024, stack);
    if (next > 4) h.sampler.Forget(&blocks[(next - 4) % sizeof(blocks)]);
  }
  const LeakReport report = h.detector.Report();
  CHECK(report.judging);
  CHECK(report.findings.empty());
  CHECK(h.found.empty());
  CHECK(LeakJson(report).find("\"findings\":[]") != std::string::npos);
}

TEST_CASE("a steadily growing site is found once, with its rate, and goes inactive when it stops") {
  Harness h(TestOptions());
  const std::vector<void*> leaky = {reinterpret_cast<void*>(0x5678)};
  static char blocks[4096];
  size_t n = 0;
  double owed = 0;
  for (int i = 0; i < 240; ++i) {  // 120 s at 32 KiB/s, sampled as 64 KiB samples
    owed += 16 * 1024;
    while (owed >= 64 * 1024) {
      h.sampler.Record(&blocks[n++], 64 * 1024, leaky);
      owed -= 64 * 1024;
    }
    h.Sample(i * 0.5, 12e6);
    if (i < 100) CHECK(h.found.empty());  // not before the window is spanned (60 s)
  }
  REQUIRE(h.found.size() == 1);
  CHECK(h.found[0].site_id == 0);
  CHECK_FALSE(h.found[0].site.empty());
  LeakReport report = h.detector.Report();
  REQUIRE(report.findings.size() == 1);
  CHECK(report.findings[0].active);
  CHECK(report.findings[0].bytes_per_second == doctest::Approx(32 * 1024).epsilon(0.15));
  CHECK(report.findings[0].confidence > 0.999);
  Collect metrics;
  h.detector.VisitCounters(metrics);
  CHECK(metrics.values["leak_suspects"] == 1);
  CHECK(metrics.values["leak_growth_bytes_per_second{" + report.findings[0].site + "}"] > 0);
  // It stops: after a window of no growth the finding stays listed but inactive.
  for (int i = 240; i < 400; ++i) h.Sample(i * 0.5, 12e6);
  report = h.detector.Report();
  REQUIRE(report.findings.size() == 1);
  CHECK_FALSE(report.findings[0].active);
  CHECK(h.found.size() == 1);  // logged once
  Collect after;
  h.detector.VisitCounters(after);
  CHECK(after.values["leak_suspects"] == 0);
}

TEST_CASE("unaccounted: a leak is found; filling free slab space or a warm-up is not") {
  SUBCASE("leak: RSS grows, slab space unchanged") {
    Harness h(TestOptions());
    for (int i = 0; i < 240; ++i) h.Sample(i * 0.5, 12e6 + 64 * 1024 * i * 0.5, 50e6);
    REQUIRE(h.found.size() == 1);
    CHECK(h.found[0].site == "unaccounted");
    CHECK(h.found[0].bytes_per_second == doctest::Approx(64 * 1024).epsilon(0.05));
  }
  SUBCASE("the same leak with the unaccounted trend off: nothing") {
    LeakOptions options = TestOptions();
    options.judge_unaccounted = false;
    Harness h(options);
    for (int i = 0; i < 240; ++i) h.Sample(i * 0.5, 12e6 + 64 * 1024 * i * 0.5, 50e6);
    CHECK(h.found.empty());
  }
  SUBCASE("first fill: unaccounted grows exactly as free slab space shrinks") {
    Harness h(TestOptions());
    for (int i = 0; i < 240; ++i) {
      const double filled = 64 * 1024 * i * 0.5;
      h.Sample(i * 0.5, 12e6 + filled, 50e6 - 2 * filled);
    }
    CHECK(h.found.empty());
  }
  SUBCASE("warm-up that levels off") {
    Harness h(TestOptions());
    for (int i = 0; i < 400; ++i) h.Sample(i * 0.5, 12e6 + 8e6 * (1 - std::exp(-i * 0.5 / 20)));
    CHECK(h.detector.Report().findings.empty());
  }
}

}  // namespace
}  // namespace kmd::profile
