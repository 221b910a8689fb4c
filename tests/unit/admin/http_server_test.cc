// HttpServer on a loopback port it picks: routing, methods, malformed and oversized heads, the
// bind error a taken port gives.
#include "server/admin/http_server.h"

#include <doctest/doctest.h>

#include <string>

#include "tests/support/tcp_client.h"

namespace kmd::admin {
namespace {

using namespace std::chrono_literals;

std::string Exchange(int port, const std::string& request) {
  test::TcpClient client(port);
  REQUIRE(client.SendAll(request));
  return client.ReadAll(5s);
}

struct Served {
  Served() : server(300ms) {
    server.Handle("/hello", [] {
      HttpResponse r;
      r.body = "hi\n";
      return r;
    });
    REQUIRE_FALSE(server.Listen("127.0.0.1", 0));
    REQUIRE(server.port() != 0);
    server.Start();
  }
  HttpServer server;
};

TEST_CASE("http server: GET and HEAD of a route; other paths 404, other methods 405") {
  Served s;
  const int port = s.server.port();
  const std::string ok = Exchange(port, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(ok.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(ok.substr(ok.size() - 3) == "hi\n");
  const std::string head = Exchange(port, "HEAD /hello?q HTTP/1.0\r\n\r\n");
  CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(head.find("Content-Length: 3\r\n") != std::string::npos);
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");
  CHECK(Exchange(port, "GET /nope HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0) == 0);
  CHECK(Exchange(port, "POST /hello HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405", 0) == 0);
  CHECK(Exchange(port, "hello\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
}

TEST_CASE("http server: an oversized head gets 431, a silent client is dropped") {
  Served s;
  const int port = s.server.port();
  const std::string big =
      "GET /hello HTTP/1.1\r\nX: " + std::string(HttpServer::kMaxHeadBytes, 'a');
  CHECK(Exchange(port, big).rfind("HTTP/1.1 431", 0) == 0);
  test::TcpClient idle(port);
  CHECK(idle.WaitClosed(3s));
  // Still serving afterwards.
  CHECK(Exchange(port, "GET /hello HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("http server: a taken port is reported, not thrown") {
  Served s;
  HttpServer second;
  const std::error_code ec = second.Listen("127.0.0.1", s.server.port());
  CHECK(ec == std::errc::address_in_use);
  HttpServer bad;
  CHECK(bad.Listen("no-such-host.invalid", 0));
}

}  // namespace
}  // namespace kmd::admin
