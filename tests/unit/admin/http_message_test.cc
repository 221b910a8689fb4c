// The request-line parser and the response composer of the admin listeners.
#include "server/admin/http_message.h"

#include <doctest/doctest.h>

namespace kmd::admin {
namespace {

TEST_CASE("request line: method and path, query string apart") {
  auto line = ParseRequestLine("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(line);
  CHECK(line->method == "GET");
  CHECK(line->path == "/metrics");
  CHECK(line->query == "x=1");
  line = ParseRequestLine("HEAD / HTTP/1.0\n\n");
  REQUIRE(line);
  CHECK(line->method == "HEAD");
  CHECK(line->path == "/");
  CHECK(line->query.empty());
}

TEST_CASE("query parameters: found by name, undecoded; absent or bare names are empty") {
  CHECK(QueryParam("format=json", "format") == "json");
  CHECK(QueryParam("a=1&format=collapsed&b", "format") == "collapsed");
  CHECK(QueryParam("a=1&b", "b").empty());
  CHECK(QueryParam("formats=json", "format").empty());
  CHECK(QueryParam("", "format").empty());
}

TEST_CASE("request line: anything else is refused") {
  for (const char* bad :
       {"", "GET /metrics HTTP/1.1", "GET /metrics\r\n", "GET  HTTP/1.1\r\n",
        " /metrics HTTP/1.1\r\n", "GET metrics HTTP/1.1\r\n", "GET /metrics HTTP/2\r\n",
        "G:T /metrics HTTP/1.1\r\n", "\x16\x03\x01\x02\x00\x01\r\n"}) {
    INFO(bad);
    CHECK_FALSE(ParseRequestLine(bad));
  }
}

TEST_CASE("response: status line, length, close; HEAD keeps the headers only") {
  HttpResponse r;
  r.status = 404;
  r.body = "nope\n";
  CHECK(ComposeResponse(r, false) ==
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 5\r\nConnection: close\r\n\r\nnope\n");
  const std::string head = ComposeResponse(r, true);
  CHECK(head.find("Content-Length: 5\r\n") != std::string::npos);
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");
}

}  // namespace
}  // namespace kmd::admin
