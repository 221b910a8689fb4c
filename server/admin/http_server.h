// HttpServer: a small HTTP/1.x GET server on its own thread and io_context, for the admin
// listeners (/metrics, /debug/*). One request per connection (answered, then closed); a request
// head larger than kMaxHeadBytes is refused, one slower than the request timeout dropped; at most
// kMaxConnections are served at once (more are closed at accept).
// Thread-safety: Handle() and Listen() before Start(); Stop() from any thread (also idempotent,
// and run by the destructor). Handlers run on the server's thread, one at a time.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <system_error>
#include <thread>

#include "server/admin/http_message.h"

namespace kmd::admin {

using HttpHandler = std::function<HttpResponse()>;
// A handler that reads the query string (the part after '?', undecoded).
using HttpQueryHandler = std::function<HttpResponse(std::string_view query)>;

class HttpServer {
 public:
  static constexpr size_t kMaxHeadBytes = 8 * 1024;
  static constexpr size_t kMaxConnections = 64;
  static constexpr std::chrono::milliseconds kRequestTimeout{5000};

  explicit HttpServer(std::chrono::milliseconds request_timeout = kRequestTimeout);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves GET and HEAD of `path` (exact match, query string ignored) with `handler`.
  void Handle(std::string path, HttpHandler handler);
  void Handle(std::string path, HttpQueryHandler handler);
  // Binds and listens on host:port; host is a numeric address or a name to resolve; port 0 lets
  // the kernel pick. Returns the failure (e.g. address in use), or a default error_code.
  std::error_code Listen(const std::string& host, uint16_t port);
  uint16_t port() const;
  void Start();
  void Stop();

 private:
  class Exchange;
  void Accept();
  HttpResponse Answer(std::string_view head, bool* head_only) const;

  // Declared before io_: pending exchanges that io_'s destructor drops still decrement it.
  size_t active_ = 0;  // exchanges in progress (server thread only)
  std::chrono::milliseconds request_timeout_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;  // after an accept error (e.g. out of descriptors)
  std::map<std::string, HttpQueryHandler, std::less<>> routes_;
  std::thread thread_;
};

}  // namespace kmd::admin
