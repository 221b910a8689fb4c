// OpenMetricsListener: parse, bind, and classify a failure as fatal or as a warning.
#include "server/admin/metrics_listener.h"

#include "config/values.h"

namespace kmd::admin {

MetricsListener OpenMetricsListener(const config::MetricsConfig& config,
                                    const std::string& builtin_default) {
  MetricsListener out;
  if (!config.enabled) return out;
  const std::optional<config::HostPort> address = config::ParseHostPort(config.listen);
  auto server = std::make_unique<HttpServer>();
  std::error_code ec = std::make_error_code(std::errc::invalid_argument);
  if (address) ec = server->Listen(address->host, address->port);
  if (!ec) {
    out.outcome = MetricsListener::kListening;
    const bool v6 = address->host.find(':') != std::string::npos;
    out.url = "http://" + (v6 ? "[" + address->host + "]" : address->host) + ":" +
              std::to_string(server->port()) + "/metrics";
    out.server = std::move(server);
    return out;
  }
  if (config.listen == builtin_default) {
    out.outcome = MetricsListener::kDefaultTaken;
    out.message = "metrics: cannot listen on the default address " + config.listen + " (" +
                  ec.message() +
                  "; another instance?): running without /metrics; set metrics.listen "
                  "(--metrics-listen) to serve it elsewhere";
    return out;
  }
  out.outcome = MetricsListener::kFailed;
  out.message =
      "metrics.listen (--metrics-listen) " + config.listen + ": cannot listen: " + ec.message();
  return out;
}

}  // namespace kmd::admin
