// HttpServer: accept -> read the head (bounded size and time) -> route -> write -> close.
// Each Exchange owns its socket and timer and is kept alive by its pending operation.
#include "server/admin/http_server.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <memory>

namespace kmd::admin {

namespace asio = boost::asio;
using asio::ip::tcp;

class HttpServer::Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(HttpServer& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(server.io_), input_(kMaxHeadBytes) {
    ++server_.active_;
  }
  ~Exchange() { --server_.active_; }

  void Start() {
    timer_.expires_after(server_.request_timeout_);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->socket_.close();
    });
    asio::async_read_until(socket_, input_, "\r\n\r\n",
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       size_t n) { self->OnHead(ec, n); });
  }

 private:
  void OnHead(const boost::system::error_code& ec, size_t n) {
    HttpResponse response;
    bool head_only = false;
    if (ec == asio::error::not_found) {
      response.status = 431;  // the head did not fit in kMaxHeadBytes
    } else if (ec) {
      return;  // closed by the peer or by the timeout
    } else {
      const auto data = input_.data();
      const std::string head(asio::buffers_begin(data), asio::buffers_begin(data) + n);
      response = server_.Answer(head, &head_only);
    }
    output_ = ComposeResponse(response, head_only);
    asio::async_write(socket_, asio::buffer(output_),
                      [self = shared_from_this()](const boost::system::error_code&, size_t) {
                        boost::system::error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
                        self->socket_.close(ignored);
                        self->timer_.cancel();
                      });
  }

  HttpServer& server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  asio::streambuf input_;
  std::string output_;
};

HttpServer::HttpServer(std::chrono::milliseconds request_timeout)
    : request_timeout_(request_timeout), acceptor_(io_), accept_retry_(io_) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(std::string path, HttpHandler handler) {
  routes_[std::move(path)] = [handler = std::move(handler)](std::string_view) { return handler(); };
}

void HttpServer::Handle(std::string path, HttpQueryHandler handler) {
  routes_[std::move(path)] = std::move(handler);
}

std::error_code HttpServer::Listen(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) {
    tcp::resolver resolver(io_);
    const auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return ec;
    address = results.begin()->endpoint().address();
  }
  const tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }
  return ec;
}

uint16_t HttpServer::port() const {
  boost::system::error_code ec;
  const tcp::endpoint endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void HttpServer::Start() {
  Accept();
  thread_ = std::thread([this] { io_.run(); });
}

void HttpServer::Stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void HttpServer::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors or the like: retrying at once would spin.
      accept_retry_.expires_after(std::chrono::milliseconds(100));
      accept_retry_.async_wait([this](const boost::system::error_code& wait_ec) {
        if (!wait_ec) Accept();
      });
      return;
    }
    if (active_ < kMaxConnections) std::make_shared<Exchange>(*this, std::move(socket))->Start();
    Accept();
  });
}

HttpResponse HttpServer::Answer(std::string_view head, bool* head_only) const {
  HttpResponse response;
  const std::optional<HttpRequestLine> line = ParseRequestLine(head);
  if (!line) {
    response.status = 400;
    response.body = "bad request\n";
    return response;
  }
  *head_only = line->method == "HEAD";
  if (line->method != "GET" && !*head_only) {
    response.status = 405;
    response.body = "only GET and HEAD\n";
    return response;
  }
  const auto route = routes_.find(line->path);
  if (route == routes_.end()) {
    response.status = 404;
    response.body = "not found\n";
    return response;
  }
  return route->second(line->query);
}

}  // namespace kmd::admin
