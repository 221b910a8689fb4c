// BufferPool: size classes, reuse, the cap on idle bytes, Trim, counters, the pmr face.
#include "core/memory/buffer_pool.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace kmd::memory {
namespace {

TEST_CASE("sizes round up to power-of-two classes from 4 KiB; past 2 MiB to whole pages") {
  CHECK(BufferPool::RoundUp(1) == 4096);
  CHECK(BufferPool::RoundUp(4096) == 4096);
  CHECK(BufferPool::RoundUp(4097) == 8192);
  CHECK(BufferPool::RoundUp(16 * 1024) == 16 * 1024);
  CHECK(BufferPool::RoundUp((1u << 20) + 1) == 2u << 20);
  CHECK(BufferPool::RoundUp((2u << 20) + 1) == (2u << 20) + 4096);
}

TEST_CASE("a released buffer is reused by the next request of its class") {
  BufferPool pool(1u << 20);
  void* a = pool.Allocate(10000);
  CHECK(reinterpret_cast<uintptr_t>(a) % BufferPool::kAlignment == 0);
  std::memset(a, 0xab, 16384);  // the whole rounded block is usable
  CHECK(pool.in_use_bytes() == 16384);
  pool.Release(a, 10000);
  CHECK(pool.in_use_bytes() == 0);
  CHECK(pool.pooled_bytes() == 16384);
  void* b = pool.Allocate(16000);
  CHECK(b == a);
  CHECK(pool.pooled_bytes() == 0);
  void* c = pool.Allocate(100);  // another class: a miss
  BufferPoolStats s = pool.stats();
  CHECK(s.hits == 1);
  CHECK(s.misses == 2);
  CHECK(s.in_use_bytes == 16384 + 4096);
  pool.Release(b, 16000);
  pool.Release(c, 100);
}

TEST_CASE("idle bytes never exceed the cap; the excess goes back to the system") {
  BufferPool pool(64 * 1024);
  std::vector<void*> blocks;
  for (int i = 0; i < 10; ++i) blocks.push_back(pool.Allocate(16 * 1024));
  for (void* b : blocks) {
    pool.Release(b, 16 * 1024);
    CHECK(pool.pooled_bytes() <= 64 * 1024);
  }
  BufferPoolStats s = pool.stats();
  CHECK(s.pooled_bytes == 64 * 1024);
  CHECK(s.trims == 6);
  CHECK(s.trimmed_bytes == 6 * 16 * 1024);
  // Larger than the largest class: never pooled.
  void* big = pool.Allocate(3u << 20);
  pool.Release(big, 3u << 20);
  CHECK(pool.pooled_bytes() == 64 * 1024);
  // A zero cap pools nothing.
  BufferPool none(0);
  none.Release(none.Allocate(10), 10);
  CHECK(none.pooled_bytes() == 0);
}

TEST_CASE("Trim frees idle buffers largest first and reports the bytes") {
  BufferPool pool(8u << 20);
  void* small1 = pool.Allocate(4096);
  void* small2 = pool.Allocate(4096);
  void* big = pool.Allocate(1u << 20);
  void* held = pool.Allocate(8192);
  pool.Release(small1, 4096);
  pool.Release(small2, 4096);
  pool.Release(big, 1u << 20);
  CHECK(pool.pooled_bytes() == (1u << 20) + 8192);
  CHECK(pool.Trim(1) == 1u << 20);  // the largest idle block goes first
  CHECK(pool.pooled_bytes() == 8192);
  CHECK(pool.Trim(SIZE_MAX) == 8192);
  CHECK(pool.pooled_bytes() == 0);
  CHECK(pool.Trim(SIZE_MAX) == 0);
  CHECK(pool.in_use_bytes() == 8192);  // handed-out buffers are not the pool's to trim
  pool.Release(held, 8192);
}

TEST_CASE("PooledBuffer returns its block on destruction and on move-assignment") {
  BufferPool pool(1u << 20);
  {
    PooledBuffer a(&pool, 5000);
    CHECK(a.size() == 8192);
    CHECK(pool.in_use_bytes() == 8192);
    PooledBuffer b = std::move(a);
    CHECK(a.empty());
    a = PooledBuffer(&pool, 100);
    b = std::move(a);  // b's 8 KiB goes back
    CHECK(pool.pooled_bytes() == 8192);
    CHECK(pool.in_use_bytes() == 4096);
  }
  CHECK(pool.in_use_bytes() == 0);
  CHECK(pool.pooled_bytes() == 8192 + 4096);
}

TEST_CASE("pmr containers allocate from the pool and reuse its blocks") {
  BufferPool pool(1u << 20);
  {
    std::pmr::string s(&pool);
    s.assign(10000, 'x');
    CHECK(pool.in_use_bytes() >= 10000);
  }
  const uint64_t misses = pool.stats().misses;
  {
    std::pmr::vector<int> v(&pool);
    v.reserve(2500);  // 10000 bytes: the same class as the string's block
    CHECK(pool.stats().misses == misses);
  }
  CHECK(pool.in_use_bytes() == 0);
}

}  // namespace
}  // namespace kmd::memory
