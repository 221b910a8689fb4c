// The network front: TCP or Unix-socket acceptors on the main thread, connections handed to
// workers round robin, the -c connection cap, and graceful shutdown on SIGTERM/SIGINT (stop
// accepting, drain every connection, stop within the drain deadline).
// Thread-safety: Bind/Run on the main thread; RequestShutdown and TrimBuffers from any thread.
// While it lives, counters.buffer_stats reads its workers' buffer pools.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/shrinker.h"
#include "server/net/connection.h"
#include "server/net/connection_registry.h"
#include "server/net/buffer_pool_shrinker.h"
#include "server/net/copy_shrinker.h"
#include "server/net/session.h"
#include "server/net/worker_pool.h"

namespace kmd::net {

struct NetConfig {
  std::string address = "127.0.0.1";
  uint16_t port = 11211;
  std::string unix_socket;  // non-empty: listen here instead of TCP (memcached -s)
  unsigned unix_mask = 0700;
  size_t threads = 1;
  size_t max_connections = 1024;
  // Descriptors the daemon holds itself, counted against max_connections as memcached counts its
  // reserved fds (so `-c 1024` admits slightly fewer than 1024 clients, as memcached does).
  size_t reserved_fds = 0;
  ConnectionLimits limits;
  size_t buffer_pool_bytes = WorkerMemory::kDefaultPoolBytes;  // idle buffer bytes per worker
  std::chrono::milliseconds drain_deadline{4000};
  // Run on every worker thread every worker_tick_period (empty: none).
  std::function<void()> worker_tick;
  std::chrono::milliseconds worker_tick_period{1000};
  // memory.rss_limit: the stalled readers' copies register here as a shrinker. Null: none.
  base::ShrinkerRegistry* shrinkers = nullptr;
};

class NetServer {
 public:
  NetServer(const NetConfig& config, SessionFactory& factory, ServerCounters& counters);
  ~NetServer();

  // Opens the listening socket; throws std::runtime_error naming the address on failure.
  void Bind();
  uint16_t bound_port() const { return bound_port_; }
  // Starts the workers and serves until shutdown completes (blocks the calling thread).
  void Run();
  void RequestShutdown();
  // For the RSS controller: frees up to `bytes` of idle buffer memory (see WorkerPool).
  size_t TrimBuffers(size_t bytes) { return pool_.TrimBuffers(bytes); }
  WorkerPool& workers() { return pool_; }
  // Called on SIGHUP (on the main thread).
  std::function<void()> on_reload;

 private:
  template <class Acceptor>
  void Accept(Acceptor& acceptor);
  template <class Acceptor>
  void TakeQueued(Acceptor& acceptor);
  template <class Socket>
  void Hand(Socket socket, size_t worker);
  bool OverLimit();
  void BeginShutdown();
  void WaitDrained(std::chrono::steady_clock::time_point deadline);
  void WaitSignal();
  // On a worker thread, every park interval: park its idle connections (buffers go back).
  void ParkIdleHere();

  NetConfig config_;
  SessionFactory& factory_;
  ServerCounters& counters_;
  // Destroyed in reverse: main_ (whose aborted accepts hold sockets of worker contexts) before
  // the workers, and the workers (whose queued handlers own connections) before the registries.
  std::vector<std::unique_ptr<ConnectionRegistry>> registries_;
  WorkerPool pool_;
  boost::asio::io_context main_;
  std::optional<boost::asio::ip::tcp::acceptor> tcp_;
  std::optional<boost::asio::local::stream_protocol::acceptor> unix_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer drain_timer_;
  boost::asio::steady_timer accept_retry_timer_;
  uint16_t bound_port_ = 0;
  std::atomic<bool> shutting_down_{false};
  // After pool_: unregistered (no Shrink can post any more) before the pool is torn down.
  CopyShrinker copy_shrinker_;
  base::ShrinkerRegistration copy_registration_;
  BufferPoolShrinker buffer_shrinker_;
  base::ShrinkerRegistration buffer_registration_;
};

}  // namespace kmd::net
