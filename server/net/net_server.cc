// NetServer: acceptors, connection cap, signal-driven drain.
#include "server/net/net_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <csignal>
#include <stdexcept>

namespace kmd::net {

namespace asio = boost::asio;
using asio::ip::tcp;

NetServer::NetServer(const NetConfig& config, SessionFactory& factory, ServerCounters& counters)
    : config_(config),
      factory_(factory),
      counters_(counters),
      pool_(config.threads, config.buffer_pool_bytes),
      main_(1),
      signals_(main_),
      drain_timer_(main_),
      accept_retry_timer_(main_),
      copy_shrinker_(pool_, registries_, counters_),
      copy_registration_(config.shrinkers, &copy_shrinker_),
      buffer_shrinker_(pool_),
      buffer_registration_(config.shrinkers, &buffer_shrinker_) {
  for (size_t i = 0; i < pool_.size(); ++i) {
    registries_.push_back(std::make_unique<ConnectionRegistry>());
  }
  counters_.buffer_stats = [this] { return pool_.BufferStats(); };
}

NetServer::~NetServer() {
  pool_.Stop();
  pool_.Join();
}

void NetServer::Bind() {
  boost::system::error_code ec;
  if (!config_.unix_socket.empty()) {
    ::unlink(config_.unix_socket.c_str());
    // memcached applies the mask through umask around bind().
    mode_t old = ::umask(~config_.unix_mask & 0777);
    unix_.emplace(main_);
    asio::local::stream_protocol::endpoint ep(config_.unix_socket);
    unix_->open(ep.protocol(), ec);
    if (!ec) unix_->bind(ep, ec);
    ::umask(old);
    if (!ec) unix_->listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) unix_->non_blocking(true, ec);
    if (ec) {
      throw std::runtime_error("cannot listen on unix socket " + config_.unix_socket + ": " +
                               ec.message());
    }
    return;
  }
  auto address = asio::ip::make_address(config_.address, ec);
  if (ec) {
    // Accept host names too (memcached resolves -l with getaddrinfo).
    tcp::resolver resolver(main_);
    auto results = resolver.resolve(config_.address, std::to_string(config_.port), ec);
    if (ec || results.empty()) {
      throw std::runtime_error("cannot resolve listen address " + config_.address);
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint ep(address, config_.port);
  tcp_.emplace(main_);
  tcp_->open(ep.protocol(), ec);
  if (!ec) tcp_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) tcp_->bind(ep, ec);
  if (!ec) tcp_->listen(1024, ec);
  if (!ec) tcp_->non_blocking(true, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + config_.address + ":" +
                             std::to_string(config_.port) + ": " + ec.message());
  }
  bound_port_ = tcp_->local_endpoint().port();
}

bool NetServer::OverLimit() {
  uint64_t now = counters_.curr_connections.fetch_add(1, std::memory_order_relaxed) + 1;
  counters_.total_connections.fetch_add(1, std::memory_order_relaxed);
  if (now + config_.reserved_fds <= config_.max_connections) return false;
  counters_.curr_connections.fetch_sub(1, std::memory_order_relaxed);
  counters_.rejected_connections.fetch_add(1, std::memory_order_relaxed);
  return true;
}

template <class Socket>
void NetServer::Hand(Socket socket, size_t worker) {
  if (OverLimit()) {
    // memcached's answer past -c: an error line, then close.
    static constexpr char kTooMany[] = "ERROR Too many open connections\r\n";
    boost::system::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(kTooMany, sizeof(kTooMany) - 1), ignored);
    socket.close(ignored);
    return;
  }
  if constexpr (std::is_same_v<Socket, tcp::socket>) {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
  }
  ConnectionRegistry* registry = registries_[worker].get();
  WorkerMemory* memory = &pool_.MemoryAt(worker);
  asio::post(pool_.At(worker), [this, registry, memory, s = std::move(socket)]() mutable {
    auto conn = std::make_shared<Connection<Socket>>(std::move(s), factory_, counters_, *registry,
                                                     config_.limits, *memory);
    if (shutting_down_) return;  // destructor balances the count
    conn->Start();
  });
}

template <class Acceptor>
void NetServer::Accept(Acceptor& acceptor) {
  using Socket = typename Acceptor::protocol_type::socket;
  size_t worker = pool_.NextIndex();
  acceptor.async_accept(pool_.At(worker), [this, &acceptor, worker](
                                              const boost::system::error_code& ec, Socket socket) {
    if (ec == asio::error::operation_aborted || shutting_down_) return;
    if (!ec) {
      Hand(std::move(socket), worker);
      TakeQueued(acceptor);
    }
    // EMFILE and friends: keep accepting after a short pause rather than spin.
    if (ec == asio::error::no_descriptors) {
      accept_retry_timer_.expires_after(std::chrono::milliseconds(10));
      accept_retry_timer_.async_wait([this, &acceptor](const boost::system::error_code& e) {
        if (!e && !shutting_down_) Accept(acceptor);
      });
      return;
    }
    Accept(acceptor);
  });
}

template <class Acceptor>
void NetServer::TakeQueued(Acceptor& acceptor) {
  // Connections that queued while this thread was waking up are taken at once (the acceptor is
  // non-blocking), not one reactor round trip each: under a connection storm on a busy machine
  // the backlog would otherwise lag behind, and so would the -c check.
  using Socket = typename Acceptor::protocol_type::socket;
  for (int i = 0; i < 64; ++i) {
    size_t worker = pool_.NextIndex();
    boost::system::error_code ec;
    auto socket = acceptor.accept(pool_.At(worker), ec);
    if (ec) return;
    Hand(Socket(std::move(socket)), worker);  // to the executor type Connection is built for
  }
}

void NetServer::WaitSignal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      if (on_reload) on_reload();
      WaitSignal();
      return;
    }
    BeginShutdown();
  });
}

void NetServer::Run() {
  std::signal(SIGPIPE, SIG_IGN);
  signals_.add(SIGINT);
  signals_.add(SIGTERM);
  signals_.add(SIGHUP);
  WaitSignal();
  if (config_.worker_tick) pool_.RunEvery(config_.worker_tick_period, config_.worker_tick);
  // Idle connections give their read buffers back (see Connection::ParkIfIdle).
  pool_.RunEvery(config_.limits.park_after, [this] { ParkIdleHere(); });
  pool_.Start();
  if (tcp_) Accept(*tcp_);
  if (unix_) Accept(*unix_);
  main_.run();
  pool_.Stop();
  pool_.Join();
  if (!config_.unix_socket.empty()) ::unlink(config_.unix_socket.c_str());
}

void NetServer::ParkIdleHere() {
  if (shutting_down_) return;
  for (size_t i = 0; i < pool_.size(); ++i) {
    if (pool_.At(i).get_executor().running_in_this_thread()) registries_[i]->ParkIdle();
  }
}

void NetServer::RequestShutdown() {
  asio::post(main_, [this] { BeginShutdown(); });
}

void NetServer::BeginShutdown() {
  if (shutting_down_.exchange(true)) return;
  accept_retry_timer_.cancel();
  boost::system::error_code ignored;
  if (tcp_) tcp_->close(ignored);
  if (unix_) unix_->close(ignored);
  signals_.cancel(ignored);
  for (size_t i = 0; i < pool_.size(); ++i) {
    ConnectionRegistry* registry = registries_[i].get();
    asio::post(pool_.At(i), [registry] { registry->DrainAll(); });
  }
  WaitDrained(std::chrono::steady_clock::now() + config_.drain_deadline);
}

void NetServer::WaitDrained(std::chrono::steady_clock::time_point deadline) {
  size_t live = 0;
  for (auto& registry : registries_) live += registry->count();
  if (live == 0 || std::chrono::steady_clock::now() >= deadline) {
    main_.stop();
    return;
  }
  drain_timer_.expires_after(std::chrono::milliseconds(20));
  drain_timer_.async_wait(
      [this, deadline](const boost::system::error_code&) { WaitDrained(deadline); });
}

}  // namespace kmd::net
