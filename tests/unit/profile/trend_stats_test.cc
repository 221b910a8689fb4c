// Trend statistics of the leak detector: Theil-Sen recovers a slope through noise and outliers,
// Mann-Kendall separates a trend from a flat noisy series, and JudgeGrowth finds steady growth
// while refusing flat noise, a single step and warm-up growth that levels off.
#include "core/profile/trend_stats.h"

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

namespace kmd::profile {
namespace {

struct Series {
  std::vector<double> t;
  std::vector<double> y;
};

// n points one second apart: base + slope * t + gaussian noise of `sigma`, reproducible.
Series Linear(size_t n, double base, double slope, double sigma, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, sigma);
  Series s;
  for (size_t i = 0; i < n; ++i) {
    s.t.push_back(static_cast<double>(i));
    s.y.push_back(base + slope * static_cast<double>(i) + noise(rng));
  }
  return s;
}

TEST_CASE("Theil-Sen recovers the slope through noise and outliers") {
  Series s = Linear(100, 1e6, 4096, 2000, 1);
  s.y[10] += 5e6;  // spikes that would drag a least-squares line
  s.y[90] -= 5e6;
  CHECK(TheilSenSlope(s.t, s.y) == doctest::Approx(4096).epsilon(0.05));
  CHECK(TheilSenSlope(std::vector<double>{}, std::vector<double>{}) == 0);
}

TEST_CASE("Mann-Kendall: a clean noisy flat series is not a trend, a slope is") {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    const Series flat = Linear(120, 8e6, 0, 50000, seed);
    CHECK(MannKendallTest(flat.y).p_increasing > 1e-3);
  }
  const Series up = Linear(120, 8e6, 1000, 20000, 7);
  const MannKendall mk = MannKendallTest(up.y);
  CHECK(mk.s > 0);
  CHECK(mk.p_increasing < 1e-6);
  // All ties: no variance, no evidence.
  CHECK(MannKendallTest(std::vector<double>(50, 3.0)).p_increasing == 1);
}

TEST_CASE("JudgeGrowth: flat noise, no finding; a steady slope, a finding with its rate") {
  const GrowthRules rules{.min_slope = 1024};
  for (unsigned seed = 1; seed <= 50; ++seed) {
    const Series flat = Linear(120, 8e6, 0, 64 * 1024, seed);
    INFO("seed " << seed);
    CHECK_FALSE(JudgeGrowth(flat.t, flat.y, rules).growing);
  }
  const Series leak = Linear(120, 8e6, 16 * 1024, 64 * 1024, 3);
  const GrowthVerdict v = JudgeGrowth(leak.t, leak.y, rules);
  CHECK(v.growing);
  CHECK(v.slope == doctest::Approx(16 * 1024).epsilon(0.15));
  CHECK(v.confidence > 0.999);
  // Significant but slower than the rules' floor: not reported.
  const Series slow = Linear(120, 8e6, 512, 100, 3);
  CHECK_FALSE(JudgeGrowth(slow.t, slow.y, rules).growing);
}

TEST_CASE("JudgeGrowth: a staircase of sampled leaks is growth; one step or warm-up is not") {
  const GrowthRules rules{.min_slope = 1024};
  Series stairs;  // a sampled site: +64 KiB about every 2 s (a 32 KiB/s leak)
  Series step;    // a table that doubled once, mid-window
  Series warmup;  // fast growth that levels off: connection buffers, first fills
  for (size_t i = 0; i < 120; ++i) {
    const double t = static_cast<double>(i) / 2;
    stairs.t.push_back(t);
    stairs.y.push_back(65536.0 * static_cast<double>(i / 4));
    step.t.push_back(t);
    step.y.push_back(i < 80 ? 1 << 20 : 2 << 20);
    warmup.t.push_back(t);
    warmup.y.push_back(8e6 * (1 - std::exp(-t / 6)));
  }
  const GrowthVerdict v = JudgeGrowth(stairs.t, stairs.y, rules);
  CHECK(v.growing);
  CHECK(v.slope == doctest::Approx(32768).epsilon(0.1));
  CHECK_FALSE(JudgeGrowth(step.t, step.y, rules).growing);
  CHECK_FALSE(JudgeGrowth(warmup.t, warmup.y, rules).growing);
  // Too few points to judge.
  CHECK_FALSE(
      JudgeGrowth(std::span(stairs.t).first(8), std::span(stairs.y).first(8), rules).growing);
}

}  // namespace
}  // namespace kmd::profile
