// The start-up policy of the admin HTTP listeners (issue 6), /metrics (metrics.listen) and
// /debug/* (admin.listen): an address the operator configured must be bound or the daemon does
// not start (exit 2); when only the built-in default is taken (a second instance on the host) the
// daemon runs without that listener and says so. Port 0 picks a port (the url names it).
// Thread-safety: call once per listener at start-up, on the main thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "server/admin/http_server.h"

namespace kmd::admin {

struct HttpListener {
  enum Outcome { kListening, kDisabled, kDefaultTaken, kFailed };
  Outcome outcome = kDisabled;
  std::unique_ptr<HttpServer> server;  // kListening: bound and listening, not yet started
  std::string url;                     // kListening: http://HOST:PORT<path> (the bound port)
  std::string message;  // kDefaultTaken: the warning; kFailed: the error naming the address
};
using MetricsListener = HttpListener;

// What one listener is called, for its url and messages.
struct ListenerNames {
  std::string_view what;  // "metrics"
  std::string_view key;   // "metrics.listen"
  std::string_view flag;  // "--metrics-listen"
  std::string_view path;  // "/metrics": the url's path, and what runs without it
};

// `builtin_default` is the address that counts as not configured (the config struct's default;
// an operator who writes the default out gets the default's treatment).
HttpListener OpenHttpListener(bool enabled, const std::string& listen,
                              const std::string& builtin_default, const ListenerNames& names);

MetricsListener OpenMetricsListener(const config::MetricsConfig& config,
                                    const std::string& builtin_default);
// The /debug/* listener; its url names /debug/memory.svg.
HttpListener OpenAdminListener(const config::AdminConfig& config,
                               const std::string& builtin_default);

}  // namespace kmd::admin
