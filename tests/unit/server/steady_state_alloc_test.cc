// "The steady state allocates nothing per request" (DESIGN.md), measured: the real NetServer,
// connections, text/meta/binary sessions and Store run in this process on a loopback port, and
// every operator new (and, outside sanitizer builds, every malloc/calloc/realloc/memalign) of
// every thread is counted while pipelined rounds of requests go through them after a warm-up.
// Covered per round: text set x100, get of 100 keys, get x10, incr, delete, mg/ms/md, mn; binary
// SETQ x100, GETKQ x100 + NOOP (the binary multi-get), GET, DELETE, INCREMENT, NOOP. Not covered:
// stats (its lines are strings), connection accept/close, values past the pool's largest class.
// Then, idle, the connections park and hold no buffer.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <execinfo.h>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <thread>

#include "core/base/clock.h"
#include "core/cache/store.h"
#include "protocol/binary/codec.h"
#include "server/dispatch/dispatch_context.h"
#include "server/dispatch/session_factory.h"
#include "server/net/net_server.h"
#include "tests/support/memcache_wire.h"
#include "tests/support/tcp_client.h"

namespace {

std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_new_calls{0};
std::atomic<uint64_t> g_malloc_calls{0};

// The stacks of the first counted allocations, printed if the check fails (backtrace() into
// fixed storage allocates nothing once warmed up).
constexpr int kTraces = 4;
constexpr int kTraceDepth = 24;
void* g_trace[kTraces][kTraceDepth];
int g_trace_depth[kTraces];
std::atomic<int> g_traced{0};
// backtrace()'s first call loads libgcc's unwinder, which allocates: done before any counting.
const int g_backtrace_warm = [] {
  void* warm[2];
  return backtrace(warm, 2);
}();

void TraceAllocation() {
  const int slot = g_traced.fetch_add(1, std::memory_order_relaxed);
  if (slot < kTraces) g_trace_depth[slot] = backtrace(g_trace[slot], kTraceDepth);
}

void PrintTraces() {
  const int n = std::min(g_traced.load(), kTraces);
  for (int i = 0; i < n; ++i) {
    std::fprintf(stderr, "counted allocation %d:\n", i + 1);
    backtrace_symbols_fd(g_trace[i], g_trace_depth[i], 2);
  }
}

void* CountedNew(size_t n, size_t align) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_new_calls.fetch_add(1, std::memory_order_relaxed);
    TraceAllocation();
  }
  if (n == 0) n = 1;
  void* p = align <= alignof(std::max_align_t)
                ? std::malloc(n)
                : std::aligned_alloc(align, (n + align - 1) / align * align);
  return p;
}

void* NewOrThrow(size_t n, size_t align) {
  void* p = CountedNew(n, align);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

// A counting replacement of every global operator new of this test binary.
void* operator new(size_t n) { return NewOrThrow(n, 0); }
void* operator new[](size_t n) { return NewOrThrow(n, 0); }
void* operator new(size_t n, std::align_val_t a) { return NewOrThrow(n, static_cast<size_t>(a)); }
void* operator new[](size_t n, std::align_val_t a) { return NewOrThrow(n, static_cast<size_t>(a)); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return CountedNew(n, 0); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return CountedNew(n, 0); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }

#ifndef KMD_SANITIZED
// glibc's malloc family, counted (the sanitizers interpose these themselves).
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);

static void CountMalloc() {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
    TraceAllocation();
  }
}
void* malloc(size_t n) {
  CountMalloc();
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  CountMalloc();
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  CountMalloc();
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t align, size_t n) {
  CountMalloc();
  return __libc_memalign(align, n);
}
void* memalign(size_t align, size_t n) {
  CountMalloc();
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, size_t align, size_t n) {
  CountMalloc();
  *out = __libc_memalign(align, n);
  return *out != nullptr ? 0 : ENOMEM;
}
void free(void* p) { __libc_free(p); }
}
#endif

namespace kmd::net {
namespace {

using test::AppendBe32;
using test::BinaryRequest;
using test::SetExtras;

constexpr int kKeys = 100;

// The daemon's request path in this process: Store, dispatch, NetServer on a free port.
struct InProcessDaemon {
  InProcessDaemon()
      : store(StoreConfigFor()), factory(ctx), server(NetConfigFor(&store), factory, counters) {
    ctx.store = &store;
    ctx.counters = &counters;
    ctx.latency = &latency;
    server.Bind();
    thread = std::thread([this] { server.Run(); });
  }
  ~InProcessDaemon() {
    server.RequestShutdown();
    thread.join();
  }
  static cache::StoreConfig StoreConfigFor() {
    cache::StoreConfig c;
    c.memory_limit = 64u << 20;
    c.clock = &base::SystemClock::Instance();
    // The crawler thread's first pass makes its slab bins (a one-time allocation per thread):
    // often enough that it happens during the warm-up, and still counted after it.
    c.crawler_interval_ms = 5;
    return c;
  }
  static NetConfig NetConfigFor(cache::Store* store) {
    NetConfig c;
    // As the daemon's main: workers hand their cached slab chunks back, here often enough to run
    // during the counted rounds.
    c.worker_tick = [store] { store->FlushThreadCache(); };
    c.worker_tick_period = std::chrono::milliseconds(10);
    c.port = 0;
    c.threads = 2;
    c.limits.park_after = std::chrono::milliseconds(20);  // idle connections park quickly
    return c;
  }

  cache::Store store;
  ServerCounters counters;
  dispatch::LatencyRecorder latency;
  dispatch::DispatchContext ctx;
  dispatch::DispatchSessionFactory factory;
  NetServer server;
  std::thread thread;
};

std::string Key(int i) { return std::string("key:").append(std::to_string(i)); }

std::string TextRound() {
  const std::string value(100, 'v');  // past OutputBuffer's copy threshold: served zero-copy
  std::string r;
  for (int i = 0; i < kKeys; ++i) {
    r.append("set ").append(Key(i)).append(" 7 0 100\r\n").append(value).append("\r\n");
  }
  r.append("get");
  for (int i = 0; i < kKeys; ++i) r.append(" ").append(Key(i));
  r.append("\r\n");
  for (int i = 0; i < 10; ++i) r.append("get ").append(Key(i * 7)).append("\r\n");
  r.append("set ctr 0 0 2\r\n10\r\nincr ctr 5\r\n");
  r.append("set gone 0 0 1\r\nx\r\ndelete gone\r\ndelete gone\r\n");
  r.append("ms meta:1 100 T0 F3\r\n").append(value).append("\r\n");
  r.append("mg meta:1 s v f k\r\nmg meta:missing v\r\nmd meta:1 q\r\nmg meta:1 v\r\n");
  r.append("mn\r\n");
  return r;
}

std::string BinaryRound() {
  const std::string value(100, 'b');
  std::string r;
  for (int i = 0; i < kKeys; ++i) {
    r += BinaryRequest(0x11 /* SETQ */, Key(i), SetExtras(5, 0), value);
  }
  for (int i = 0; i < kKeys; ++i) r += BinaryRequest(0x0d /* GETKQ */, Key(i));
  r += BinaryRequest(0x0a /* NOOP */);
  r += BinaryRequest(0x00 /* GET */, Key(3));
  r += BinaryRequest(0x04 /* DELETE */, "nope");
  std::string arith;  // delta 1, initial 0, exptime 0 (create)
  for (int i = 0; i < 4; ++i) AppendBe32(&arith, i == 1 ? 1 : 0);
  arith.append(4, '\0');
  r += BinaryRequest(0x05 /* INCREMENT */, "counter", arith);
  r += BinaryRequest(0x0a /* NOOP */);
  return r;
}

// Sends `request` and reads until `done(response)`; the buffer is sized beforehand so that the
// client itself allocates nothing while counting.
template <class Done>
void RoundTrip(int fd, const std::string& request, std::string* response, Done done) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);  // TcpClient's fd is non-blocking
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    sent += static_cast<size_t>(n);
  }
  size_t got = 0;
  while (!done(std::string_view(response->data(), got))) {
    REQUIRE(got < response->size());
    ssize_t n = ::recv(fd, response->data() + got, response->size() - got, 0);
    REQUIRE(n > 0);
    got += static_cast<size_t>(n);
  }
  response->resize(got);  // never grows: no allocation
}

bool TextDone(std::string_view r) { return r.ends_with("MN\r\n"); }

// Complete packets whose last one is a NOOP answer.
bool BinaryDone(std::string_view r) {
  size_t pos = 0;
  uint8_t last = 0xff;
  while (r.size() - pos >= protocol::binary::kHeaderSize) {
    const auto* h = reinterpret_cast<const uint8_t*>(r.data() + pos);
    const size_t body = (size_t{h[8]} << 24) | (size_t{h[9]} << 16) | (size_t{h[10]} << 8) | h[11];
    if (r.size() - pos < protocol::binary::kHeaderSize + body) return false;
    last = h[1];
    pos += protocol::binary::kHeaderSize + body;
  }
  return pos == r.size() && last == 0x0a && r.size() > 30 * protocol::binary::kHeaderSize;
}

size_t Count(std::string_view hay, std::string_view needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

TEST_CASE("the counters see an allocation (the replacements are the ones linked)") {
  g_new_calls = 0;
  g_malloc_calls = 0;
  g_counting = true;
  auto* p = new std::array<char, 100>();
  asm volatile("" : : "g"(p) : "memory");  // the allocation may not be elided
  delete p;
  g_counting = false;
  CHECK(g_new_calls.load() == 1);
#ifndef KMD_SANITIZED
  CHECK(g_malloc_calls.load() == 1);
#endif
}

TEST_CASE("steady state: pipelined text, meta and binary requests allocate nothing") {
  InProcessDaemon daemon;
  test::TcpClient text(daemon.server.bound_port());
  test::TcpClient binary(daemon.server.bound_port());
  const std::string text_round = TextRound();
  const std::string binary_round = BinaryRound();
  std::string text_out;
  std::string binary_out;
  std::string first_text;
  size_t binary_size = 0;

  const auto round = [&] {
    text_out.assign(1u << 20, '\0');
    binary_out.assign(1u << 20, '\0');
  };
  for (int i = 0; i < 30; ++i) {  // warm-up: pools, arenas, slab pages, index, asio's caches
    round();
    RoundTrip(text.fd(), text_round, &text_out, TextDone);
    RoundTrip(binary.fd(), binary_round, &binary_out, BinaryDone);
    if (i == 1) {
      first_text = text_out;
      binary_size = binary_out.size();
    }
  }
  // What the rounds answer (checked once; the counted rounds must answer the same).
  CHECK(Count(first_text, "STORED\r\n") == kKeys + 2);
  CHECK(Count(first_text, "VALUE key:") == kKeys + 10);
  CHECK(first_text.find("\r\n15\r\nSTORED\r\nDELETED\r\nNOT_FOUND\r\nHD\r\n") != std::string::npos);
  CHECK(first_text.find("VA 100 s100 f3 kmeta:1\r\n") != std::string::npos);
  CHECK(first_text.ends_with("EN\r\nEN\r\nMN\r\n"));
  CHECK(Count(binary_out, std::string("\x81\x0d", 2)) == kKeys);  // every GETKQ hit

  const uint64_t pool_misses = daemon.counters.buffer_stats().misses;
  constexpr int kRounds = 200;
  round();  // the client's buffers, before counting
  std::string text_buf = text_out;
  std::string binary_buf = binary_out;
  g_new_calls = 0;
  g_malloc_calls = 0;
  g_traced = 0;
  g_counting = true;
  bool same = true;
  for (int i = 0; i < kRounds; ++i) {
    text_buf.resize(text_buf.capacity());
    binary_buf.resize(binary_buf.capacity());
    RoundTrip(text.fd(), text_round, &text_buf, TextDone);
    RoundTrip(binary.fd(), binary_round, &binary_buf, BinaryDone);
    same = same && text_buf == first_text && binary_buf.size() == binary_size;
  }
  g_counting = false;
  const uint64_t requests = kRounds * (kKeys + 1 + 10 + 9 + 2 * kKeys + 5);
  INFO("requests: ", requests, "; operator new calls: ", g_new_calls.load(),
       "; malloc-family calls: ", g_malloc_calls.load());
  CHECK(same);
  CHECK(g_new_calls.load() == 0);
  CHECK(g_malloc_calls.load() == 0);
  if (g_traced.load() != 0) PrintTraces();
  CHECK(daemon.counters.buffer_stats().misses == pool_misses);  // buffers all came from the pools

  // Idle for two park intervals, the connections hold no buffer: what is in use is the arenas'
  // kept blocks alone.
  size_t arenas = 0;
  uint64_t in_use = 0;
  for (int wait = 0; wait < 100; ++wait) {
    arenas = 0;
    for (size_t i = 0; i < daemon.server.workers().size(); ++i) {
      arenas += daemon.server.workers().MemoryAt(i).arena.held_bytes();
    }
    in_use = daemon.counters.buffer_stats().in_use_bytes;
    if (in_use == arenas) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(arenas > 0);
  CHECK(in_use == arenas);
  // Parked connections wake up on input and borrow again.
  text_buf.resize(text_buf.capacity());
  RoundTrip(text.fd(), text_round, &text_buf, TextDone);
  CHECK(text_buf == first_text);
}

}  // namespace
}  // namespace kmd::net
