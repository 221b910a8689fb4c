// memory.rss_limit through the real daemon (kotoba-memd only): with a small -m and an RSS limit
// just above it, drive short versions of the three bench/rss scenarios — (a) many connections
// doing 100-key multi-gets of 5 KB values, (b) the value-size shift (100-byte values, then
// 2000-byte ones), (c) clients that send multi-gets and never read — while a sampler reads the
// daemon's RSS from /proc/<pid>/statm every 100 ms. Max RSS stays within 1.05 x the limit and the
// daemon still answers correctly afterwards. Under ASan (shadow memory, a 256 MiB quarantine) the
// RSS bound cannot hold and is not asserted; the scenarios and the answers still are.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/daemon.h"
#include "tests/support/tcp_client.h"

namespace kmd::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kMiB = 1u << 20;
constexpr uint64_t kLimit = 48 * kMiB;  // -m 32 + 16 MiB, the least the config allows
constexpr size_t kBigValue = 5000;
constexpr int kBigKeys = 8000;  // more 5 KB values than -m 32 holds: the store is full

// Resident bytes of `pid` from /proc/<pid>/statm; 0 once it is gone.
uint64_t StatmRss(pid_t pid) {
  const std::string path = std::string("/proc/").append(std::to_string(pid)).append("/statm");
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// Samples the daemon's RSS every 100 ms on its own thread until destroyed; keeps the maximum.
class RssSampler {
 public:
  explicit RssSampler(pid_t pid)
      : thread_([this, pid] {
          while (!stop_.load()) {
            max_.store(std::max(max_.load(), StatmRss(pid)));
            ++samples_;
            std::this_thread::sleep_for(100ms);
          }
        }) {}
  ~RssSampler() {
    stop_ = true;
    thread_.join();
  }
  uint64_t max() const { return max_.load(); }
  int samples() const { return samples_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> max_{0};
  std::atomic<int> samples_{0};
  std::thread thread_;
};

std::string BigKey(int i) { return std::string("big").append(std::to_string(i)); }
char FillByte(const std::string& key) { return static_cast<char>('a' + key.size() % 26); }

std::string SetNoreply(const std::string& key, size_t size) {
  return std::string("set ")
      .append(key)
      .append(" 0 0 ")
      .append(std::to_string(size))
      .append(" noreply\r\n")
      .append(size, FillByte(key))
      .append("\r\n");
}

// Pipelined noreply sets, then one get to wait until all were served.
void SetMany(TcpClient& c, const std::vector<std::string>& keys, size_t size) {
  std::string batch;
  for (const std::string& key : keys) {
    batch += SetNoreply(key, size);
    if (batch.size() > (256u << 10)) {
      REQUIRE(c.SendAll(batch, 10s));
      batch.clear();
    }
  }
  REQUIRE(c.SendAll(batch + "get sync\r\n", 10s));
  REQUIRE(c.ReadUntil("END\r\n", 10s) == "END\r\n");
}

std::string MultiGet(int first) {
  std::string req = "get";
  for (int k = 0; k < 100; ++k) req.append(" ").append(BigKey((first + k * 37) % kBigKeys));
  return req + "\r\n";
}

// Checks one multi-get answer: every value returned is its key's, of kBigValue bytes.
bool ValidMultiGet(const std::string& reply) {
  size_t pos = 0;
  while (reply.compare(pos, 6, "VALUE ") == 0) {
    const size_t eol = reply.find("\r\n", pos);
    char key[64];
    unsigned flags = 0;
    size_t bytes = 0;
    if (std::sscanf(reply.c_str() + pos, "VALUE %63s %u %zu", key, &flags, &bytes) != 3) {
      return false;
    }
    if (bytes != kBigValue || eol + 2 + bytes + 2 > reply.size()) return false;
    const std::string value = reply.substr(eol + 2, bytes);
    if (value != std::string(bytes, FillByte(key))) return false;
    pos = eol + 2 + bytes + 2;
  }
  return reply.compare(pos, std::string::npos, "END\r\n") == 0;
}

TEST_CASE("rss_limit: many multi-gets, a value-size shift and stalled readers stay under it") {
  if (TargetIsMemcached()) return;
  Daemon d({"-m", "32", "-t", "2", "-c", "600", "--rss-limit", std::to_string(kLimit),
            "--metrics-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"});
  RssSampler sampler(d.pid());
  TcpClient control(d.port());
  {
    std::vector<std::string> keys;
    for (int i = 0; i < kBigKeys; ++i) keys.push_back(BigKey(i));
    SetMany(control, keys, kBigValue);
  }

  // (a) 150 connections, 3 threads of 50, each round a 100-key multi-get of 5 KB values on all.
  std::atomic<int> bad{0};
  std::atomic<int> replies{0};
  {
    std::vector<std::thread> threads;
    const auto until = Clock::now() + 5s;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, t] {
        std::vector<TcpClient> conns(50);
        for (auto& c : conns) {
          if (!c.Connect(d.port(), 2s)) ++bad;
        }
        for (int round = 0; Clock::now() < until; ++round) {
          for (size_t i = 0; i < conns.size(); ++i) {
            if (!conns[i].SendAll(MultiGet(round * 150 + t * 50 + static_cast<int>(i)), 2s)) ++bad;
          }
          for (auto& c : conns) {
            if (!ValidMultiGet(c.ReadUntil("END\r\n", 5s))) ++bad;
            ++replies;
          }
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  CHECK(bad.load() == 0);
  CHECK(replies.load() >= 300);

  // (b) the value-size shift: 100-byte values, then 2000-byte values, on 4 connections.
  for (size_t size : {size_t{100}, size_t{2000}}) {
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w, size] {
        TcpClient c(d.port());
        const auto until = Clock::now() + 3s;
        for (int round = 0; Clock::now() < until; ++round) {
          std::vector<std::string> keys;
          for (int i = 0; i < 2000; ++i) {
            keys.push_back(std::string("shift")
                               .append(std::to_string(size))
                               .append("_")
                               .append(std::to_string((w * 1000 + round) * 2000 + i)));
          }
          SetMany(c, keys, size);
        }
      });
    }
    for (auto& th : writers) th.join();
  }

  // (c) readers that send multi-gets of 5 KB values and never read, while a writer refills the
  // store past the pin timeout (5 s), so their output must be copied out or dropped.
  {
    SetMany(
        control,
        [] {
          std::vector<std::string> keys;
          for (int i = 0; i < 2000; ++i) keys.push_back(BigKey(i));
          return keys;
        }(),
        kBigValue);
    std::vector<TcpClient> stalled(4);
    for (size_t s = 0; s < stalled.size(); ++s) {
      REQUIRE(stalled[s].Connect(d.port()));
      std::string pipeline;
      for (int i = 0; i < 40; ++i) pipeline += MultiGet(static_cast<int>(s * 40 + i) % 2000);
      stalled[s].SendSome(pipeline, 300ms);
    }
    TcpClient writer(d.port());
    const auto until = Clock::now() + 7s;
    for (int round = 0; Clock::now() < until; ++round) {
      std::vector<std::string> keys;
      for (int i = 0; i < 200; ++i) keys.push_back(BigKey(2000 + (round * 200 + i) % 6000));
      SetMany(writer, keys, kBigValue);
    }
  }

  // Afterwards: alive, correct, and the controller's figures are reported.
  REQUIRE(d.alive());
  TcpClient after(d.port());
  CHECK(after.Request("set after 5 0 5\r\nhello\r\n") == "STORED\r\n");
  CHECK(after.Request("get after\r\n", "END\r\n") == "VALUE after 5 5\r\nhello\r\nEND\r\n");
  CHECK(ValidMultiGet(after.Request(MultiGet(0), "END\r\n")));
  const auto stats = TextStats(after);
  CHECK(stats.at("rss_limit") == std::to_string(kLimit));
  CHECK(stats.count("rss_controller_state") == 1);
  CHECK(std::stoull(stats.at("rss_controller_samples")) > 50);
  CHECK(std::stoull(stats.at("limit_maxbytes_effective")) <= 32 * kMiB);
  const uint64_t max_rss = sampler.max();
  MESSAGE("rss_limit ", kLimit >> 20, " MiB: max RSS ", max_rss / double(kMiB), " MiB over ",
          sampler.samples(), " samples (", max_rss / double(kLimit), " of the limit); budget cuts ",
          stats.at("rss_controller_budget_cuts"), ", pages released ",
          stats.at("rss_controller_pages_released"), ", copies refused ",
          stats.at("conn_copies_refused"), ", state ", stats.at("rss_controller_state"));
  CHECK(sampler.samples() > 100);
#ifndef KMD_SANITIZED
  CHECK(max_rss <= kLimit * 105 / 100);
  // The limit is tight for -m 32 under this load: the controller had to act, not just watch.
  CHECK(std::stoull(stats.at("rss_controller_budget_cuts")) > 0);
#endif
}

}  // namespace
}  // namespace kmd::test
