// Theil-Sen, Mann-Kendall (Hollander & Wolfe's tie correction) and the growth rule.
#include "core/profile/trend_stats.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

namespace kmd::profile {

double TheilSenSlope(std::span<const double> t, std::span<const double> y) {
  std::vector<double> slopes;
  const size_t n = std::min(t.size(), y.size());
  slopes.reserve(n * (n - (n > 0)) / 2);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      if (t[j] > t[i]) slopes.push_back((y[j] - y[i]) / (t[j] - t[i]));
    }
  }
  if (slopes.empty()) return 0;
  const size_t mid = slopes.size() / 2;
  std::nth_element(slopes.begin(), slopes.begin() + mid, slopes.end());
  if (slopes.size() % 2 == 1) return slopes[mid];
  const double upper = slopes[mid];
  const double lower = *std::max_element(slopes.begin(), slopes.begin() + mid);
  return (lower + upper) / 2;
}

MannKendall MannKendallTest(std::span<const double> y) {
  MannKendall out;
  const size_t n = y.size();
  if (n < 3) return out;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) out.s += (y[j] > y[i]) - (y[j] < y[i]);
  }
  std::map<double, size_t> ties;
  for (double v : y) ++ties[v];
  const double dn = static_cast<double>(n);
  double var = dn * (dn - 1) * (2 * dn + 5);
  for (const auto& [value, count] : ties) {
    const double c = static_cast<double>(count);
    var -= c * (c - 1) * (2 * c + 5);
  }
  var /= 18;
  if (var <= 0) return out;
  out.z = out.s > 0 ? (out.s - 1) / std::sqrt(var) : out.s < 0 ? (out.s + 1) / std::sqrt(var) : 0;
  out.p_increasing = 0.5 * std::erfc(out.z / std::sqrt(2.0));
  return out;
}

GrowthVerdict JudgeGrowth(std::span<const double> t, std::span<const double> y,
                          const GrowthRules& rules) {
  GrowthVerdict v;
  const size_t n = std::min(t.size(), y.size());
  if (n < rules.min_points) return v;
  const size_t half = n / 2;
  size_t rises = 0;
  size_t recent_rises = 0;
  for (size_t i = 1; i < n; ++i) {
    if (y[i] > y[i - 1]) {
      ++rises;
      if (i > half) ++recent_rises;
    }
  }
  const MannKendall whole = MannKendallTest(y.first(n));
  v.confidence = 1 - whole.p_increasing;
  if (rises < rules.min_rises || recent_rises < rules.min_recent_rises) return v;
  if (whole.p_increasing > rules.max_p) return v;
  if (MannKendallTest(y.subspan(half, n - half)).p_increasing > rules.max_p_recent) return v;
  v.slope = TheilSenSlope(t.first(n), y.first(n));
  if (v.slope < rules.min_slope) return v;
  const double recent = TheilSenSlope(t.subspan(half, n - half), y.subspan(half, n - half));
  v.growing = recent >= rules.min_recent_ratio * v.slope;
  return v;
}

}  // namespace kmd::profile
