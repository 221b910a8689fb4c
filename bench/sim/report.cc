// Text and SVG rendering for kmd-sim (see report.h). The plot is hand-written SVG (no gnuplot at
// run time): axes with a few round ticks, one polyline with point markers per policy, a legend.
#include "bench/sim/report.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace kmd::sim {
namespace {

std::string Format(const char* fmt, auto... args) {
  std::string out(static_cast<size_t>(std::snprintf(nullptr, 0, fmt, args...)), '\0');
  std::snprintf(out.data(), out.size() + 1, fmt, args...);
  return out;
}

std::string ColumnHeader(const SizeColumn& s) {
  const std::string cap = std::to_string(s.capacity);
  return s.label == cap ? cap : cap + " (" + s.label + ")";
}

// 1234567 -> "1.2M": tick labels short enough not to collide.
std::string Short(double v) {
  if (v >= 1e9) return Format("%gG", std::round(v / 1e8) / 10);
  if (v >= 1e6) return Format("%gM", std::round(v / 1e5) / 10);
  if (v >= 1e3) return Format("%gk", std::round(v / 1e2) / 10);
  return Format("%g", v);
}

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Ticks at 1, 2, 5 x 10^k (log axis) or at a round step (linear axis), within [lo, hi].
std::vector<double> Ticks(double lo, double hi, bool log) {
  std::vector<double> t;
  if (log) {
    for (double decade = std::pow(10, std::floor(std::log10(lo))); decade <= hi; decade *= 10) {
      for (double m : {1.0, 2.0, 5.0}) {
        if (m * decade >= lo * 0.999 && m * decade <= hi * 1.001) t.push_back(m * decade);
      }
    }
    return t;
  }
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  const double r = raw / mag;
  const double step = (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
  for (double v = std::ceil(lo / step) * step; v <= hi * 1.0001; v += step) t.push_back(v);
  return t;
}

constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                   "#9467bd", "#8c564b", "#e377c2", "#17becf"};

}  // namespace

std::string ResultLine(std::string_view policy, uint64_t capacity, const RunResult& r) {
  return Format("policy=%.*s size=%" PRIu64 " requests=%" PRIu64 " misses=%" PRIu64
                " miss_ratio=%.6f",
                static_cast<int>(policy.size()), policy.data(), capacity, r.requests, r.misses,
                r.miss_ratio());
}

std::string MissRatioTable(const std::vector<SizeColumn>& sizes, const std::vector<Curve>& curves,
                           bool bytes) {
  std::string out = std::string("miss ratio by cache size (") + (bytes ? "bytes" : "objects") +
                    "); rows: policy, columns: size\n";
  size_t first = 8;
  for (const Curve& c : curves) first = std::max(first, c.policy.size() + 2);
  std::vector<size_t> widths;
  out += Format("%-*s", static_cast<int>(first), "policy");
  for (const SizeColumn& s : sizes) {
    widths.push_back(std::max<size_t>(ColumnHeader(s).size(), 8) + 2);
    out += Format("%*s", static_cast<int>(widths.back()), ColumnHeader(s).c_str());
  }
  out += '\n';
  for (const Curve& c : curves) {
    out += Format("%-*s", static_cast<int>(first), c.policy.c_str());
    for (size_t i = 0; i < sizes.size(); ++i) {
      out += Format("%*.6f", static_cast<int>(widths[i]), c.miss_ratios[i]);
    }
    out += '\n';
  }
  return out;
}

std::string MissRatioSvg(std::string_view title, const std::vector<SizeColumn>& sizes,
                         const std::vector<Curve>& curves, bool bytes) {
  constexpr double kW = 640, kH = 400, kLeft = 64, kRight = 140, kTop = 36, kBottom = 52;
  constexpr double kPlotW = kW - kLeft - kRight, kPlotH = kH - kTop - kBottom;
  // Points in increasing size; a size of 0 cannot sit on a log axis, so it forces linear.
  std::vector<size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return sizes[a].capacity < sizes[b].capacity; });
  double xlo = sizes.empty() ? 0 : static_cast<double>(sizes[order.front()].capacity);
  double xhi = sizes.empty() ? 1 : static_cast<double>(sizes[order.back()].capacity);
  const bool log = xlo > 0 && xhi >= 10 * xlo;
  if (xhi <= xlo) xhi = xlo + 1;
  double ylo = 1, yhi = 0;
  for (const Curve& c : curves) {
    for (double m : c.miss_ratios) ylo = std::min(ylo, m), yhi = std::max(yhi, m);
  }
  ylo = std::max(0.0, std::floor(ylo * 10 - 1e-9) / 10);
  yhi = std::min(1.0, std::ceil(yhi * 10 + 1e-9) / 10);
  if (yhi <= ylo) ylo = std::max(0.0, yhi - 0.1), yhi = ylo + 0.1;
  auto px = [&](double x) {
    const double f = log ? (std::log(x) - std::log(xlo)) / (std::log(xhi) - std::log(xlo))
                         : (x - xlo) / (xhi - xlo);
    return kLeft + f * kPlotW;
  };
  auto py = [&](double y) { return kTop + (1 - (y - ylo) / (yhi - ylo)) * kPlotH; };

  std::string s = Format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
      "viewBox=\"0 0 %g %g\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      kW, kH, kW, kH);
  s += Format("<text x=\"%g\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">",
              kLeft + kPlotW / 2) +
       Escape(title) + "</text>\n";
  s +=
      Format("<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#333\"/>\n",
             kLeft, kTop, kPlotW, kPlotH);
  for (double t : Ticks(xlo, xhi, log)) {
    s += Format(
        "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#ddd\"/>"
        "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%s</text>\n",
        px(t), kTop, px(t), kTop + kPlotH, px(t), kTop + kPlotH + 16, Short(t).c_str());
  }
  for (double t : Ticks(ylo, yhi, false)) {
    s += Format(
        "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#ddd\"/>"
        "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n",
        kLeft, py(t), kLeft + kPlotW, py(t), kLeft - 6, py(t) + 4, t);
  }
  s += Format("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">cache size (%s%s)</text>\n",
              kLeft + kPlotW / 2, kH - 12, bytes ? "bytes" : "objects", log ? ", log scale" : "");
  s += Format(
      "<text transform=\"translate(16 %g) rotate(-90)\" text-anchor=\"middle\">"
      "miss ratio</text>\n",
      kTop + kPlotH / 2);
  for (size_t c = 0; c < curves.size(); ++c) {
    const char* color = kColors[c % std::size(kColors)];
    std::string points;
    std::string marks;
    for (size_t i : order) {
      const double x = px(static_cast<double>(sizes[i].capacity));
      const double y = py(curves[c].miss_ratios[i]);
      points += Format("%.1f,%.1f ", x, y);
      marks += Format("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>", x, y, color);
    }
    s += Format("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"", color) +
         points + "\"/>" + marks + "\n";
    const double ly = kTop + 10 + 18 * static_cast<double>(c);
    s += Format(
             "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"%s\" stroke-width=\"2\"/>"
             "<text x=\"%g\" y=\"%g\">",
             kLeft + kPlotW + 12, ly, kLeft + kPlotW + 36, ly, color, kLeft + kPlotW + 42, ly + 4) +
         Escape(curves[c].policy) + "</text>\n";
  }
  s += "</svg>\n";
  return s;
}

}  // namespace kmd::sim
