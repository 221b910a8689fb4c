// OpenHttpListener: parse, bind, and classify a failure as fatal or as a warning; the metrics
// and admin listeners are two namings of it.
#include "server/admin/metrics_listener.h"

#include "config/values.h"

namespace kmd::admin {

HttpListener OpenHttpListener(bool enabled, const std::string& listen,
                              const std::string& builtin_default, const ListenerNames& names) {
  HttpListener out;
  if (!enabled) return out;
  const std::optional<config::HostPort> address = config::ParseHostPort(listen);
  auto server = std::make_unique<HttpServer>();
  std::error_code ec = std::make_error_code(std::errc::invalid_argument);
  if (address) ec = server->Listen(address->host, address->port);
  const std::string what(names.what);
  if (!ec) {
    out.outcome = HttpListener::kListening;
    const bool v6 = address->host.find(':') != std::string::npos;
    out.url = "http://" + (v6 ? "[" + address->host + "]" : address->host) + ":" +
              std::to_string(server->port()) + std::string(names.path);
    out.server = std::move(server);
    return out;
  }
  const std::string key(names.key);
  const std::string flag(names.flag);
  if (listen == builtin_default) {
    out.outcome = HttpListener::kDefaultTaken;
    out.message = what + ": cannot listen on the default address " + listen + " (" + ec.message() +
                  "; another instance?): running without " + std::string(names.path) + "; set " +
                  key + " (" + flag + ") to serve it elsewhere";
    return out;
  }
  out.outcome = HttpListener::kFailed;
  out.message = key + " (" + flag + ") " + listen + ": cannot listen: " + ec.message();
  return out;
}

MetricsListener OpenMetricsListener(const config::MetricsConfig& config,
                                    const std::string& builtin_default) {
  return OpenHttpListener(config.enabled, config.listen, builtin_default,
                          {"metrics", "metrics.listen", "--metrics-listen", "/metrics"});
}

HttpListener OpenAdminListener(const config::AdminConfig& config,
                               const std::string& builtin_default) {
  return OpenHttpListener(config.enabled, config.listen, builtin_default,
                          {"admin", "admin.listen", "--admin-listen", "/debug/memory.svg"});
}

}  // namespace kmd::admin
