// MemorySvg: fixed 900x420 canvas; x from the oldest to the newest sample, y from 0 to a rounded
// maximum of RSS and the stacked kinds. Every kind is stacked, unaccounted last, so the stack's
// top is max(RSS, accounted) and the RSS line meets it whenever RSS covers the accounted bytes.
#include "core/profile/memory_svg.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace kmd::profile {
namespace {

constexpr double kWidth = 900, kHeight = 420;
constexpr double kLeft = 70, kRight = 180, kTop = 30, kBottom = 50;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;
constexpr double kMiB = 1024.0 * 1024.0;
constexpr std::array<const char*, cache::MemorySplit::kKinds> kColors = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#ff9da7", "#9c755f",
    "#b07aa1"};

std::string Fmt(const char* format, double a, double b = 0, double c = 0) {
  char buf[96];
  std::snprintf(buf, sizeof(buf), format, a, b, c);
  return buf;
}

// 1, 2 or 5 times a power of ten at or above `value` / 5: about five gridlines.
double NiceStep(double value) {
  if (value <= 0) return 1;
  const double raw = value / 5;
  const double base = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (base * m >= raw) return base * m;
  }
  return base * 10;
}

}  // namespace

std::string MemorySvg(const MemorySnapshot& snap) {
  const std::vector<MemorySample>& h = snap.history;
  std::string out;
  out.reserve(4096 + h.size() * cache::MemorySplit::kKinds * 2 * 16);
  out +=
      Fmt("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
          "viewBox=\"0 0 %.0f ",
          kWidth, kHeight, kWidth);
  out += Fmt("%.0f\" font-family=\"sans-serif\" font-size=\"12\">\n", kHeight);
  out += "<title>kotoba-memd memory by kind</title>\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  out += Fmt("<text x=\"%.0f\" y=\"18\" font-size=\"14\">Memory by kind (stacked) and RSS", kLeft);
  out += Fmt(", %.0f samples every %.0f ms</text>\n", static_cast<double>(h.size()),
             static_cast<double>(snap.interval_ms));

  double top = 0;
  for (const MemorySample& s : h) {
    top = std::max({top, static_cast<double>(s.rss),
                    static_cast<double>(s.split.accounted() + s.split.unaccounted)});
  }
  const double step_mib = NiceStep(top / kMiB);
  const double y_max_mib = std::max(step_mib, std::ceil(top / kMiB / step_mib) * step_mib);
  const double span_s =
      h.size() > 1 ? static_cast<double>(h.back().time_ms - h.front().time_ms) / 1000.0 : 0;
  const auto x_of = [&](const MemorySample& s) {
    if (span_s <= 0) return kLeft + kPlotW;
    const double age = static_cast<double>(h.back().time_ms - s.time_ms) / 1000.0;
    return kLeft + kPlotW * (1 - age / span_s);
  };
  const auto y_of = [&](double bytes) { return kTop + kPlotH * (1 - bytes / kMiB / y_max_mib); };

  // Grid and y axis labels.
  out += "<g stroke=\"#ddd\" fill=\"#333\" text-anchor=\"end\">\n";
  for (double v = 0; v <= y_max_mib + step_mib / 2; v += step_mib) {
    const double y = y_of(v * kMiB);
    out += Fmt("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" ", kLeft, y, kLeft + kPlotW);
    out += Fmt("y2=\"%.1f\"/><text stroke=\"none\" x=\"%.1f\" y=\"%.1f\">", y, kLeft - 6, y + 4);
    out += Fmt(step_mib < 1 ? "%.1f</text>\n" : "%.0f</text>\n", v);
  }
  out += "</g>\n";
  // Stacked areas, bottom kind first.
  if (!h.empty()) {
    std::vector<double> base(h.size(), 0.0);
    for (size_t k = 0; k < cache::MemorySplit::kKinds; ++k) {
      out += "<path class=\"kind\" ";
      out += "data-kind=\"";
      out += cache::MemorySplit::kNames[k];
      out += "\" fill=\"";
      out += kColors[k];
      out += "\" fill-opacity=\"0.85\" d=\"";
      for (size_t i = 0; i < h.size(); ++i) {
        const double top_bytes = base[i] + static_cast<double>(h[i].split.values()[k]);
        out += Fmt(i == 0 ? "M%.1f %.1f" : " L%.1f %.1f", x_of(h[i]), y_of(top_bytes));
        base[i] = top_bytes;
      }
      // Back along the previous top (this kind's bottom), right to left.
      double prev = 0;
      for (size_t i = h.size(); i-- > 0;) {
        prev = base[i] - static_cast<double>(h[i].split.values()[k]);
        out += Fmt(" L%.1f %.1f", x_of(h[i]), y_of(prev));
      }
      out += " Z\"/>\n";
    }
    out +=
        "<path class=\"rss\" data-series=\"rss\" fill=\"none\" stroke=\"black\" "
        "stroke-width=\"1.5\" d=\"";
    for (size_t i = 0; i < h.size(); ++i) {
      out += Fmt(i == 0 ? "M%.1f %.1f" : " L%.1f %.1f", x_of(h[i]),
                 y_of(static_cast<double>(h[i].rss)));
    }
    out += "\"/>\n";
  } else {
    out += Fmt("<text x=\"%.1f\" y=\"%.1f\">no samples yet</text>\n", kLeft + 20, kTop + 40);
  }
  // Axes, x labels, axis titles.
  out += Fmt("<g stroke=\"black\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" ", kLeft, kTop, kLeft);
  out += Fmt("y2=\"%.1f\"/><line x1=\"%.1f\" y1=\"%.1f\" ", kTop + kPlotH, kLeft, kTop + kPlotH);
  out += Fmt("x2=\"%.1f\" y2=\"%.1f\"/></g>\n", kLeft + kPlotW, kTop + kPlotH);
  out += "<g fill=\"#333\" text-anchor=\"middle\">\n";
  // Ages in the unit that keeps the labels short: seconds, minutes past 5 min, hours past 2 h.
  const bool hours = span_s > 7200, minutes = !hours && span_s > 300;
  const double unit_s = hours ? 3600 : minutes ? 60 : 1;
  const double x_step = NiceStep(span_s / unit_s);
  for (double age = 0; span_s > 0 && age * unit_s <= span_s + 1e-9; age += x_step) {
    const double x = kLeft + kPlotW * (1 - age * unit_s / span_s);
    out += Fmt("<text x=\"%.1f\" y=\"%.1f\">", x, kTop + kPlotH + 16);
    out += Fmt(age == 0 ? "now</text>\n" : "-%g</text>\n", age);
  }
  out += Fmt("<text x=\"%.1f\" y=\"%.1f\">", kLeft + kPlotW / 2, kHeight - 10);
  out += hours ? "hours" : minutes ? "minutes" : "seconds";
  out += " before the newest sample</text>\n";
  out += Fmt("<text transform=\"translate(18 %.1f) rotate(-90)\">MiB</text>\n", kTop + kPlotH / 2);
  out += "</g>\n";
  // Legend, top kind first (as stacked).
  out += "<g font-size=\"12\">\n";
  for (size_t n = 0; n <= cache::MemorySplit::kKinds; ++n) {
    const double y = kTop + 10 + static_cast<double>(n) * 20;
    const double x = kLeft + kPlotW + 16;
    if (n == 0) {
      out += Fmt("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" stroke=\"black\" ", x, y - 4, x + 12);
      out += Fmt("stroke-width=\"1.5\" y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\">rss</text>\n",
                 y - 4, x + 18, y);
      continue;
    }
    const size_t k = cache::MemorySplit::kKinds - n;
    out += Fmt("<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"", x, y - 9);
    out += kColors[k];
    out += Fmt("\"/><text x=\"%.1f\" y=\"%.1f\">", x + 18, y);
    out += cache::MemorySplit::kNames[k];
    out += "</text>\n";
  }
  out += "</g>\n</svg>\n";
  return out;
}

}  // namespace kmd::profile
