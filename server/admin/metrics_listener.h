// The start-up policy of the /metrics listener (issue 6): an address the operator configured
// must be bound or the daemon does not start (exit 2); when only the built-in default is taken
// (a second instance on the host) the daemon runs without the listener and says so.
// Thread-safety: call once at start-up, on the main thread.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "server/admin/http_server.h"

namespace kmd::admin {

struct MetricsListener {
  enum Outcome { kListening, kDisabled, kDefaultTaken, kFailed };
  Outcome outcome = kDisabled;
  std::unique_ptr<HttpServer> server;  // kListening: bound and listening, not yet started
  std::string url;                     // kListening: http://HOST:PORT/metrics (the bound port)
  std::string message;  // kDefaultTaken: the warning; kFailed: the error naming the address
};

// `builtin_default` is the address that counts as not configured (MetricsConfig{}.listen; an
// operator who writes the default out gets the default's treatment).
MetricsListener OpenMetricsListener(const config::MetricsConfig& config,
                                    const std::string& builtin_default);

}  // namespace kmd::admin
