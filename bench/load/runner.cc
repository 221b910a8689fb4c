// Load engine (see runner.h). Connections are driven by Asio completion handlers on their
// worker's thread only, so nothing inside a worker is locked; Asio recycles handler memory, and
// request/read buffers are sized at construction, so the steady state allocates nothing.
#include "bench/load/runner.h"

#include <sys/prctl.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bench/load/codec.h"
#include "bench/load/handler_memory.h"
#include "bench/load/sampler.h"

namespace kmd::bench {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

constexpr size_t kMaxKeyLen = 256;  // FormatKey's output bound
constexpr size_t kMinReadBuffer = 64 * 1024;
// How long a worker waits past the window for in-flight replies before closing its sockets.
constexpr int64_t kDrainNs = 2'000'000'000;
constexpr int64_t kNoEnd = INT64_MAX;

size_t DecimalDigits(uint64_t v) {
  size_t d = 1;
  while (v >= 10) v /= 10, ++d;
  return d;
}

// Read-only for all threads once workers start.
struct RunPlan {
  const Options* o = nullptr;
  bool prefill = false;
  uint32_t window = 1;   // requests in flight per connection
  double conn_rate = 0;  // open loop: requests/s per connection; 0 = closed loop
  int64_t start_ns = 0;
  int64_t measure_start_ns = 0;
  int64_t send_end_ns = kNoEnd;  // no new request at or after this instant
  std::vector<char> value;       // bytes every set copies its value from
  size_t max_key_len = 0;
};

class Worker;

class Connection {
 public:
  Connection(Worker& worker, tcp::socket socket, uint64_t seed, uint64_t seq_start, uint64_t quota);
  enum class Why { kDone, kFailed, kTimeout };
  void Start();
  // kFailed counts the requests in flight (at least one) as errors if the window is still open;
  // kTimeout counts those still unanswered at the drain deadline as timeouts.
  void Close(Why why);

 private:
  void Pump(int64_t now);
  bool MaySend(int64_t now) const {
    return sent_ < quota_ && now < plan_.send_end_ns &&
           (plan_.conn_rate == 0 || next_intended_ns_ <= now);
  }
  bool Finished(int64_t now) const {
    return (sent_ >= quota_ || now >= plan_.send_end_ns) && in_flight_ == 0 && !writing_;
  }
  size_t ComposeOne(char* out, Pending& p);
  void DoRead();
  void OnRead(const boost::system::error_code& ec, size_t n);
  void OnWrite(const boost::system::error_code& ec);
  void ArmTimer(int64_t at_ns);

  Worker& worker_;
  const RunPlan& plan_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  bool timer_armed_ = false;
  bool closed_ = false;
  bool writing_ = false;

  Rng rng_;
  KeySampler keys_;
  ValueSizeSampler value_sizes_;
  uint64_t quota_;
  uint64_t sent_ = 0;
  int64_t next_intended_ns_ = 0;
  int64_t interval_ns_ = 0;

  std::vector<Pending> ring_;  // in-flight requests in send order
  size_t head_ = 0;
  size_t in_flight_ = 0;
  std::vector<char> write_buf_;
  size_t max_request_ = 0;
  std::vector<char> read_buf_;
  size_t read_len_ = 0;
  std::vector<char> key_scratch_;
  std::vector<std::string_view> key_views_;
  HandlerMemory read_mem_, write_mem_, timer_mem_;
};

class Worker {
 public:
  explicit Worker(const RunPlan& plan) : plan_(plan) {}
  asio::io_context& io() { return io_; }
  const RunPlan& plan() const { return plan_; }
  PhaseResult& result() { return result_; }

  void Add(std::unique_ptr<Connection> c) { conns_.push_back(std::move(c)); }
  void AddIdle(tcp::socket s) { idle_.push_back(std::move(s)); }

  void Run() {
    // Linux lets a sleeping thread's timers fire up to 50 us late by default; in open-loop mode
    // that lateness would be charged to the server, since latency runs from the intended time.
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    open_ = conns_.size();
    for (auto& c : conns_) c->Start();
    if (plan_.send_end_ns != kNoEnd) {
      drain_timer_.expires_at(
          asio::steady_timer::time_point(std::chrono::nanoseconds(plan_.send_end_ns + kDrainNs)));
      drain_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        for (auto& c : conns_) c->Close(Connection::Why::kTimeout);
      });
    }
    io_.run();
  }

  void OnClosed() {
    if (--open_ == 0) drain_timer_.cancel();
  }

  // Counts a finished request if it completed inside the measurement window.
  void Complete(const Pending& p, int64_t now) {
    if (now < plan_.measure_start_ns || now >= plan_.send_end_ns) return;
    auto& r = result_;
    ++r.requests;
    r.latency_ns.Record(static_cast<uint64_t>(std::max<int64_t>(0, now - p.start_ns)));
    if (p.kind == RequestKind::kSet) {
      ++r.sets;
    } else {
      ++r.gets;
      r.hits += p.hits;
      r.misses += p.keys - std::min(p.hits, p.keys);
    }
    if (p.error) ++r.errors;
    r.measure_end_ns = std::max(r.measure_end_ns, now);
  }

  void CountErrors(uint64_t n, int64_t now) {
    if (now < plan_.send_end_ns) result_.errors += n;
  }
  void CountTimeouts(uint64_t n) { result_.timeouts += n; }
  void RecordSendLag(int64_t intended, int64_t now) {
    if (now >= plan_.measure_start_ns && now < plan_.send_end_ns)
      result_.send_lag_ns.Record(static_cast<uint64_t>(std::max<int64_t>(0, now - intended)));
  }

 private:
  const RunPlan& plan_;
  asio::io_context io_{1};  // one thread per io_context: Asio can skip its internal locking
  asio::steady_timer drain_timer_{io_};
  std::vector<std::unique_ptr<Connection>> conns_;
  std::vector<tcp::socket> idle_;
  size_t open_ = 0;
  PhaseResult result_;
};

Connection::Connection(Worker& worker, tcp::socket socket, uint64_t seed, uint64_t seq_start,
                       uint64_t quota)
    : worker_(worker),
      plan_(worker.plan()),
      socket_(std::move(socket)),
      timer_(worker.io()),
      rng_(seed),
      keys_(plan_.prefill ? KeyPattern::kSequential : plan_.o->key_pattern, plan_.o->key_space,
            plan_.o->zipf_exp, seq_start),
      value_sizes_(plan_.o->MakeValueSampler()),
      quota_(quota),
      ring_(plan_.window) {
  const Options& o = *plan_.o;
  uint32_t mg = plan_.prefill ? 1 : o.multiget;
  max_request_ = std::max(MaxSetRequestSize(plan_.max_key_len, value_sizes_.max_size()),
                          MaxGetRequestSize(plan_.max_key_len, mg));
  write_buf_.resize(max_request_ * plan_.window);
  read_buf_.resize(std::max<size_t>(kMinReadBuffer, 2 * (value_sizes_.max_size() + 1024)));
  key_scratch_.resize(kMaxKeyLen * mg);
  key_views_.resize(mg);
  if (plan_.conn_rate > 0) {
    interval_ns_ = std::max<int64_t>(1, static_cast<int64_t>(1e9 / plan_.conn_rate));
    // A random phase keeps connections from firing in lockstep; Start adds the run's start.
    next_intended_ns_ = static_cast<int64_t>(rng_.NextDouble() * interval_ns_);
  }
}

void Connection::Start() {
  next_intended_ns_ += plan_.start_ns;
  DoRead();
  Pump(NowNs());
}

size_t Connection::ComposeOne(char* out, Pending& p) {
  const Options& o = *plan_.o;
  uint64_t cycle = uint64_t{o.ratio_set} + o.ratio_get;
  bool is_set = plan_.prefill || (sent_ % cycle) < o.ratio_set;
  p.hits = 0;
  p.remaining = -1;
  p.error = false;
  if (is_set) {
    p.kind = RequestKind::kSet;
    p.keys = 1;
    size_t klen = FormatKey(key_scratch_.data(), o.key_prefix, keys_.Next(rng_), o.key_size);
    uint32_t vlen = value_sizes_.Next(rng_);
    uint32_t expiry = o.expiry_lo == o.expiry_hi
                          ? o.expiry_lo
                          : o.expiry_lo + static_cast<uint32_t>(
                                              rng_.Below(uint64_t{o.expiry_hi} - o.expiry_lo + 1));
    // Vary the slice of the value buffer so values differ between keys.
    size_t offset = rng_.Below(plan_.value.size() - vlen + 1);
    return ComposeSet(o.protocol, out, std::string_view(key_scratch_.data(), klen),
                      plan_.value.data() + offset, vlen, expiry);
  }
  p.kind = RequestKind::kGet;
  p.keys = o.multiget;
  for (uint32_t i = 0; i < o.multiget; ++i) {
    char* k = key_scratch_.data() + i * kMaxKeyLen;
    key_views_[i] = std::string_view(k, FormatKey(k, o.key_prefix, keys_.Next(rng_), o.key_size));
  }
  return ComposeGet(o.protocol, out, key_views_.data(), o.multiget);
}

void Connection::Pump(int64_t now) {
  if (closed_ || writing_) return;
  size_t bytes = 0;
  while (in_flight_ < plan_.window && MaySend(now)) {
    Pending& p = ring_[(head_ + in_flight_) % ring_.size()];
    bytes += ComposeOne(write_buf_.data() + bytes, p);
    if (plan_.conn_rate > 0) {
      p.start_ns = next_intended_ns_;  // open loop: the schedule, not the moment we got to it
      worker_.RecordSendLag(next_intended_ns_, now);
      next_intended_ns_ += interval_ns_;
    } else {
      p.start_ns = now;
    }
    ++in_flight_;
    ++sent_;
  }
  if (bytes > 0) {
    writing_ = true;
    asio::async_write(socket_, asio::buffer(write_buf_.data(), bytes),
                      WithMemory(write_mem_, [this](const boost::system::error_code& ec, size_t) {
                        OnWrite(ec);
                      }));
    return;
  }
  if (Finished(now)) {
    Close(Why::kDone);
    return;
  }
  if (plan_.conn_rate > 0 && in_flight_ < plan_.window && sent_ < quota_) {
    ArmTimer(std::min(next_intended_ns_, plan_.send_end_ns));
  }
}

void Connection::ArmTimer(int64_t at_ns) {
  if (timer_armed_) return;
  timer_armed_ = true;
  timer_.expires_at(asio::steady_timer::time_point(std::chrono::nanoseconds(at_ns)));
  timer_.async_wait(WithMemory(timer_mem_, [this](const boost::system::error_code& ec) {
    timer_armed_ = false;
    if (ec || closed_) return;
    Pump(NowNs());
  }));
}

void Connection::OnWrite(const boost::system::error_code& ec) {
  writing_ = false;
  if (closed_) return;
  if (ec) {
    Close(Why::kFailed);
    return;
  }
  Pump(NowNs());
}

void Connection::DoRead() {
  if (read_len_ == read_buf_.size()) {
    // One reply element larger than the buffer: grow once; the steady state never gets here.
    read_buf_.resize(read_buf_.size() * 2);
  }
  socket_.async_read_some(asio::buffer(read_buf_.data() + read_len_, read_buf_.size() - read_len_),
                          WithMemory(read_mem_, [this](const boost::system::error_code& ec,
                                                       size_t n) { OnRead(ec, n); }));
}

void Connection::OnRead(const boost::system::error_code& ec, size_t n) {
  if (closed_) return;
  if (ec) {
    Close(Why::kFailed);  // EOF or reset: the server closed on us
    return;
  }
  read_len_ += n;
  int64_t now = NowNs();
  size_t pos = 0;
  while (in_flight_ > 0) {
    Pending& p = ring_[head_];
    size_t used = 0;
    ParseStatus st =
        ParseReply(plan_.o->protocol, read_buf_.data() + pos, read_len_ - pos, p, used);
    pos += used;
    if (st == ParseStatus::kNeedMore) break;
    if (st == ParseStatus::kBad) {
      Close(Why::kFailed);
      return;
    }
    worker_.Complete(p, now);
    head_ = (head_ + 1) % ring_.size();
    --in_flight_;
  }
  if (in_flight_ == 0 && pos < read_len_) {  // bytes nobody asked for: out of sync
    Close(Why::kFailed);
    return;
  }
  if (pos > 0) {
    std::memmove(read_buf_.data(), read_buf_.data() + pos, read_len_ - pos);
    read_len_ -= pos;
  }
  Pump(now);
  if (!closed_) DoRead();
}

void Connection::Close(Why why) {
  if (closed_) return;
  closed_ = true;
  if (why == Why::kFailed) worker_.CountErrors(std::max<size_t>(in_flight_, 1), NowNs());
  if (why == Why::kTimeout) worker_.CountTimeouts(in_flight_);
  boost::system::error_code ignored;
  timer_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  worker_.OnClosed();
}

tcp::socket Connect(asio::io_context& io, const tcp::resolver::results_type& endpoints) {
  tcp::socket s(io);
  asio::connect(s, endpoints);
  s.set_option(tcp::no_delay(true));
  return s;
}

std::vector<char> MakeValueBytes(size_t max_value, uint64_t seed) {
  // Twice the largest value so sets can take different slices; random letters so that a server
  // that compresses cannot win by it.
  std::vector<char> v(std::max<size_t>(2 * max_value, 64));
  Rng rng(seed ^ 0x5eedULL);
  for (char& c : v) c = static_cast<char>('a' + rng.Below(26));
  return v;
}

}  // namespace

Options PrefillOptions(const Options& o) {
  Options p = o;
  p.ratio_set = 1;
  p.ratio_get = 0;
  p.key_pattern = KeyPattern::kSequential;
  p.requests = o.key_space;
  p.rate = 0;
  p.warmup_s = 0;
  p.multiget = 1;
  p.idle_connections = 0;
  // Filling is not measured: a deep pipeline gets it over with quickly.
  p.pipeline = std::max<uint32_t>(o.pipeline, 32);
  return p;
}

PhaseResult RunPhase(const Options& o, bool prefill, const PhaseHooks& hooks) {
  RunPlan plan;
  plan.o = &o;
  plan.prefill = prefill;
  plan.window = o.pipeline;
  uint32_t conns = o.total_connections();
  if (o.rate > 0) plan.conn_rate = o.rate / conns;
  plan.max_key_len =
      std::max<size_t>(o.key_size, o.key_prefix.size() + DecimalDigits(o.key_space - 1));
  plan.value = MakeValueBytes(o.MakeValueSampler().max_size(), o.seed);

  asio::io_context resolve_io;
  tcp::resolver resolver(resolve_io);
  auto endpoints = resolver.resolve(o.host, std::to_string(o.port));

  std::vector<std::unique_ptr<Worker>> workers;
  for (uint32_t t = 0; t < o.threads; ++t) workers.push_back(std::make_unique<Worker>(plan));
  // --requests: split the total exactly; a duration run has no per-connection quota.
  uint64_t assigned = 0;
  for (uint32_t i = 0; i < conns; ++i) {
    Worker& w = *workers[i % o.threads];
    uint64_t quota = UINT64_MAX;
    if (o.requests > 0) quota = o.requests / conns + (i < o.requests % conns ? 1 : 0);
    // Sequential walks start spread over the key space; a prefill's slices tile it exactly.
    uint64_t seq_start = prefill ? assigned : (o.key_space * i) / conns;
    assigned += o.requests > 0 ? quota : 0;
    uint64_t seed = o.seed * 0x9e3779b97f4a7c15ULL + i + (prefill ? 0x1000000 : 0);
    w.Add(std::make_unique<Connection>(w, Connect(w.io(), endpoints), seed, seq_start, quota));
  }
  for (uint32_t i = 0; i < o.idle_connections; ++i) {
    Worker& w = *workers[i % o.threads];
    w.AddIdle(Connect(w.io(), endpoints));
  }

  bool timed = o.requests == 0;
  plan.start_ns = NowNs();
  plan.measure_start_ns =
      timed ? plan.start_ns + static_cast<int64_t>(o.warmup_s * 1e9) : plan.start_ns;
  plan.send_end_ns =
      timed ? plan.measure_start_ns + static_cast<int64_t>(o.duration_s * 1e9) : kNoEnd;

  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->Run(); });
  if (hooks.at_measure_start) {
    std::this_thread::sleep_until(
        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(plan.measure_start_ns)));
    hooks.at_measure_start();
  }
  if (timed && hooks.at_measure_end) {
    std::this_thread::sleep_until(
        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(plan.send_end_ns)));
    hooks.at_measure_end();
  }
  for (auto& t : threads) t.join();
  if (!timed && hooks.at_measure_end) hooks.at_measure_end();

  PhaseResult total;
  total.start_ns = plan.start_ns;
  total.measure_start_ns = plan.measure_start_ns;
  for (auto& w : workers) {
    PhaseResult& r = w->result();
    total.latency_ns.Merge(r.latency_ns);
    total.send_lag_ns.Merge(r.send_lag_ns);
    total.requests += r.requests;
    total.sets += r.sets;
    total.gets += r.gets;
    total.hits += r.hits;
    total.misses += r.misses;
    total.errors += r.errors;
    total.timeouts += r.timeouts;
    total.measure_end_ns = std::max(total.measure_end_ns, r.measure_end_ns);
  }
  if (timed) total.measure_end_ns = plan.send_end_ns;
  if (total.measure_end_ns <= total.measure_start_ns)
    total.measure_end_ns = total.measure_start_ns + 1;
  return total;
}

}  // namespace kmd::bench
