// kmd-sim's output: the one-line result per policy and size (the format outside scripts parse),
// the miss-ratio table per policy, and the miss-ratio-curve plot as a self-contained SVG.
// Pure functions: text in, text out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/sim/replay.h"

namespace kmd::sim {

// One cache size: as the user gave it ("1%") and the capacity it resolved to.
struct SizeColumn {
  std::string label;
  uint64_t capacity = 0;
};

// One policy's miss ratios, one per SizeColumn in the same order.
struct Curve {
  std::string policy;
  std::vector<double> miss_ratios;
};

// policy=<name> size=<capacity> requests=<n> misses=<m> miss_ratio=<0.xxxxxx>
std::string ResultLine(std::string_view policy, uint64_t capacity, const RunResult& r);

// Rows = policies, columns = sizes ("<capacity> (<label>)" when the label is a percentage).
std::string MissRatioTable(const std::vector<SizeColumn>& sizes, const std::vector<Curve>& curves,
                           bool bytes);

// x = cache size (log scale when the sizes span 10x or more), y = miss ratio, one line per policy.
std::string MissRatioSvg(std::string_view title, const std::vector<SizeColumn>& sizes,
                         const std::vector<Curve>& curves, bool bytes);

}  // namespace kmd::sim
