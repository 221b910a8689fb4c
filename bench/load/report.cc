// Report formatting and CPU sampling for kmd-load (see report.h).
#include "bench/load/report.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace kmd::bench {
namespace {

std::string Fmt(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

std::string Us(uint64_t ns) { return Fmt("%.1f", ns / 1000.0); }

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::optional<double> ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // comm (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  // After ')': state is field 3, so utime (14) and stime (15) are the 12th and 13th tokens.
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  if (!fields) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

double Report::ops_per_sec() const { return result->requests / result->window_seconds(); }

std::optional<double> Report::ops_per_server_cpu_s() const {
  if (!server_cpu_s || *server_cpu_s <= 0) return std::nullopt;
  return result->requests / *server_cpu_s;
}

std::string SummaryLine(const Report& r) {
  const Histogram& h = r.result->latency_ns;
  std::string s =
      "ops/s=" + Fmt("%.0f", r.ops_per_sec()) + " hits=" + std::to_string(r.result->hits) +
      " misses=" + std::to_string(r.result->misses) +
      " errors=" + std::to_string(r.result->errors + r.result->timeouts) +
      " p50=" + Us(h.ValueAtQuantile(0.5)) + "us" + " p90=" + Us(h.ValueAtQuantile(0.9)) + "us" +
      " p99=" + Us(h.ValueAtQuantile(0.99)) + "us" + " p99.9=" + Us(h.ValueAtQuantile(0.999)) +
      "us" + " max=" + Us(h.max()) + "us";
  s += " server_cpu=" + (r.server_cpu_s ? Fmt("%.2f", *r.server_cpu_s) + "s" : std::string("n/a"));
  auto per_cpu = r.ops_per_server_cpu_s();
  s += " ops_per_server_cpu_s=" + (per_cpu ? Fmt("%.0f", *per_cpu) : std::string("n/a"));
  s += " client_cpu=" + Fmt("%.2f", r.client_cpu_s) + "s";
  if (r.options->rate > 0) {
    const Histogram& lag = r.result->send_lag_ns;
    s += " send_lag_p50=" + Us(lag.ValueAtQuantile(0.5)) +
         "us send_lag_p99=" + Us(lag.ValueAtQuantile(0.99)) + "us";
  }
  return s;
}

std::string ToJson(const Report& r) {
  const Options& o = *r.options;
  const PhaseResult& res = *r.result;
  const Histogram& h = res.latency_ns;
  std::ostringstream j;
  auto num = [](double v) { return Fmt("%.6g", v); };
  auto us = [](uint64_t ns) { return Fmt("%.3f", ns / 1000.0); };
  j << "{\n";
  j << "  \"tool\": \"kmd-load\",\n";
  j << "  \"ops_per_sec\": " << num(r.ops_per_sec()) << ",\n";
  j << "  \"requests\": " << res.requests << ",\n";
  j << "  \"sets\": " << res.sets << ",\n";
  j << "  \"gets\": " << res.gets << ",\n";
  j << "  \"hits\": " << res.hits << ",\n";
  j << "  \"misses\": " << res.misses << ",\n";
  j << "  \"errors\": " << res.errors + res.timeouts << ",\n";
  j << "  \"timeouts\": " << res.timeouts << ",\n";
  j << "  \"window_seconds\": " << num(res.window_seconds()) << ",\n";
  j << "  \"latency_us\": {\"p50\": " << us(h.ValueAtQuantile(0.5))
    << ", \"p90\": " << us(h.ValueAtQuantile(0.9)) << ", \"p99\": " << us(h.ValueAtQuantile(0.99))
    << ", \"p999\": " << us(h.ValueAtQuantile(0.999)) << ", \"max\": " << us(h.max())
    << ", \"min\": " << us(h.min()) << ", \"mean\": " << Fmt("%.3f", h.mean() / 1000.0) << "},\n";
  // 100 quantiles plus the far tail, enough to draw a CDF with a log-scaled tail.
  j << "  \"latency_cdf\": [";
  bool first = true;
  auto point = [&](double q) {
    j << (first ? "" : ", ") << "[" << Fmt("%.4f", q) << ", " << us(h.ValueAtQuantile(q)) << "]";
    first = false;
  };
  for (int i = 1; i <= 99; ++i) point(i / 100.0);
  for (double q : {0.995, 0.999, 0.9995, 0.9999, 0.99999, 1.0}) point(q);
  j << "],\n";
  j << "  \"latency_cdf_columns\": [\"quantile\", \"latency_us\"],\n";
  const Histogram& lag = res.send_lag_ns;
  j << "  \"send_lag_us\": {\"p50\": " << us(lag.ValueAtQuantile(0.5))
    << ", \"p99\": " << us(lag.ValueAtQuantile(0.99)) << ", \"max\": " << us(lag.max())
    << ", \"count\": " << lag.count() << "},\n";
  j << "  \"server_cpu_seconds\": " << (r.server_cpu_s ? num(*r.server_cpu_s) : "null") << ",\n";
  auto per_cpu = r.ops_per_server_cpu_s();
  j << "  \"ops_per_server_cpu_second\": " << (per_cpu ? num(*per_cpu) : "null") << ",\n";
  j << "  \"client_cpu_seconds\": " << num(r.client_cpu_s) << ",\n";
  j << "  \"prefill_seconds\": " << num(r.prefill_seconds) << ",\n";
  j << "  \"prefill_errors\": " << r.prefill_errors << ",\n";
  j << "  \"config\": {\n";
  j << "    \"server\": " << JsonString(o.host + ":" + std::to_string(o.port)) << ",\n";
  j << "    \"protocol\": \"" << ProtocolName(o.protocol) << "\",\n";
  j << "    \"threads\": " << o.threads << ",\n";
  j << "    \"connections\": " << o.connections << ",\n";
  j << "    \"pipeline\": " << o.pipeline << ",\n";
  j << "    \"ratio\": \"" << o.ratio_set << ":" << o.ratio_get << "\",\n";
  j << "    \"key_pattern\": \"" << KeyPatternName(o.key_pattern) << "\",\n";
  j << "    \"zipf_exp\": " << num(o.zipf_exp) << ",\n";
  j << "    \"key_prefix\": " << JsonString(o.key_prefix) << ",\n";
  j << "    \"key_space\": " << o.key_space << ",\n";
  j << "    \"key_size\": " << o.key_size << ",\n";
  j << "    \"value\": " << JsonString(o.value_spec) << ",\n";
  j << "    \"multiget\": " << o.multiget << ",\n";
  j << "    \"expiry\": \"" << o.expiry_lo << "-" << o.expiry_hi << "\",\n";
  j << "    \"duration\": " << (o.requests ? "null" : num(o.duration_s)) << ",\n";
  j << "    \"requests\": " << (o.requests ? std::to_string(o.requests) : "null") << ",\n";
  j << "    \"prefill\": " << (o.prefill ? "true" : "false") << ",\n";
  j << "    \"rate\": " << (o.rate > 0 ? num(o.rate) : "null") << ",\n";
  j << "    \"idle_connections\": " << o.idle_connections << ",\n";
  j << "    \"server_pid\": " << (o.server_pid ? std::to_string(o.server_pid) : "null") << ",\n";
  j << "    \"seed\": " << o.seed << ",\n";
  j << "    \"warmup\": " << (o.requests ? 0.0 : o.warmup_s) << "\n";
  j << "  }\n}\n";
  return j.str();
}

}  // namespace kmd::bench
