// The little of HTTP/1.x the admin listeners speak: the request line of a GET or HEAD (headers
// are read past and ignored) and a complete response with Content-Length and Connection: close.
// Pure functions, thread-safe; no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kmd::admin {

struct HttpRequestLine {
  std::string_view method;  // as sent, e.g. "GET"
  std::string_view path;    // the target without its query string, e.g. "/metrics"
  std::string_view query;   // after the '?', e.g. "format=json"; empty if none
};

// The value of `name` in a query string ("a=1&b=2"), undecoded; empty if absent.
std::string_view QueryParam(std::string_view query, std::string_view name);

// Parses "METHOD SP target SP HTTP/1.x" at the start of `head` (ended by CRLF or LF).
// nullopt when it is not such a line (the caller answers 400).
std::optional<HttpRequestLine> ParseRequestLine(std::string_view head);

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Status line, Content-Type, Content-Length, Connection: close, then the body unless
// `head_only` (a HEAD request gets the headers of the GET answer).
std::string ComposeResponse(const HttpResponse& response, bool head_only);

}  // namespace kmd::admin
