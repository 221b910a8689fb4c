// Trend statistics for the leak detector: the Theil-Sen slope (median of pairwise slopes, robust
// to outliers and steps elsewhere in the series), the Mann-Kendall test for a monotone upward
// trend (normal approximation with the tie-corrected variance), and JudgeGrowth, the rule that
// turns them into a verdict on "grows steadily" (see its comment). Pure functions; thread-safe.
// O(n^2) in the points given: callers pass at most a few hundred.
#pragma once

#include <cstddef>
#include <span>

namespace kmd::profile {

// Median over i < j of (y[j] - y[i]) / (t[j] - t[i]), pairs with t[j] > t[i] only; 0 if none.
double TheilSenSlope(std::span<const double> t, std::span<const double> y);

struct MannKendall {
  double s = 0;             // sum over i < j of sign(y[j] - y[i])
  double z = 0;             // standardised S (continuity corrected); 0 when the variance is 0
  double p_increasing = 1;  // one-sided p-value for an upward trend
};
MannKendall MannKendallTest(std::span<const double> y);

struct GrowthRules {
  size_t min_points = 12;
  double min_slope = 1024;        // units per second (bytes/s)
  double max_p = 1e-3;            // Mann-Kendall over the whole window
  double max_p_recent = 0.05;     // ... and over its newer half
  double min_recent_ratio = 0.5;  // newer half's slope / whole slope
  size_t min_rises = 6;           // steps up between consecutive points, whole window
  size_t min_recent_rises = 3;    // ... in the newer half
};

struct GrowthVerdict {
  bool growing = false;
  double slope = 0;       // Theil-Sen over the whole window, units per second
  double confidence = 0;  // 1 - p of the whole-window Mann-Kendall test
};

// Growing when all hold: enough points; significant upward Mann-Kendall over the window and
// over its newer half; Theil-Sen slope above min_slope, with the newer half's slope at least
// min_recent_ratio of it (growth that slows to a plateau, e.g. warm-up, fails); and enough
// distinct rises, overall and in the newer half (a single step, e.g. a table that doubled once,
// fails however significant its before/after difference is). `t` in seconds, ascending.
GrowthVerdict JudgeGrowth(std::span<const double> t, std::span<const double> y,
                          const GrowthRules& rules);

}  // namespace kmd::profile
