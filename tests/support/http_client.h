// HttpGet: one HTTP/1.0 GET to 127.0.0.1 for tests (a daemon's /metrics, Prometheus's API),
// over TcpClient, so every call has a deadline. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace kmd::test {

struct HttpResult {
  int status = 0;    // 0 when no complete answer arrived (connection refused, timeout)
  std::string body;  // after the header block
  std::string error;
};

HttpResult HttpGet(int port, std::string_view target,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay as they are).
std::string UrlEncode(std::string_view text);

}  // namespace kmd::test
