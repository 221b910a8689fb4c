// BatchArena over a BufferPool: alignment, growth past a block, Reset keeping the largest block,
// Release, pmr containers, and a steady batch loop that asks its upstream for nothing.
#include "core/memory/batch_arena.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "core/memory/buffer_pool.h"

namespace kmd::memory {
namespace {

bool Aligned(const void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

TEST_CASE("allocations are aligned as asked and do not overlap") {
  BufferPool pool(1u << 20);
  BatchArena arena(&pool, 4096);
  char* a = static_cast<char*>(arena.Allocate(3, 1));
  void* b = arena.Allocate(8, 8);
  void* c = arena.Allocate(1, 64);
  void* d = arena.Allocate(24, 16);
  CHECK(Aligned(b, 8));
  CHECK(Aligned(c, 64));
  CHECK(Aligned(d, 16));
  CHECK(static_cast<char*>(b) >= a + 3);
  CHECK(static_cast<char*>(c) >= static_cast<char*>(b) + 8);
  CHECK(static_cast<char*>(d) >= static_cast<char*>(c) + 1);
  CHECK(arena.used_bytes() >= 3 + 8 + 1 + 24);
  CHECK(arena.held_bytes() == 4096);
}

TEST_CASE("growth: a full block chains a larger one; a huge request gets a block of its own") {
  BufferPool pool(8u << 20);
  BatchArena arena(&pool, 4096);
  std::vector<char*> pieces;
  for (int i = 0; i < 100; ++i) {
    char* p = static_cast<char*>(arena.Allocate(100, 1));
    std::memset(p, i, 100);
    pieces.push_back(p);
  }
  for (int i = 0; i < 100; ++i) CHECK(pieces[i][99] == static_cast<char>(i));  // nothing reused
  CHECK(arena.blocks_allocated() >= 2);
  CHECK(arena.used_bytes() >= 100 * 100);
  void* huge = arena.Allocate(1u << 20, 16);
  std::memset(huge, 1, 1u << 20);
  CHECK(arena.held_bytes() >= (1u << 20));
}

TEST_CASE("Reset forgets the data, keeps only the largest block; Release gives it back") {
  BufferPool pool(8u << 20);
  BatchArena arena(&pool, 4096);
  for (int i = 0; i < 100; ++i) arena.Allocate(1000, 8);  // 4, 8, 16, 32, 64 KiB blocks
  const size_t held = arena.held_bytes();
  CHECK(held > 64 * 1024);
  arena.Reset();
  CHECK(arena.used_bytes() == 0);
  CHECK(arena.held_bytes() == 64 * 1024);
  CHECK(pool.in_use_bytes() == 64 * 1024);
  CHECK(pool.pooled_bytes() == held - 64 * 1024);
  CHECK(arena.Release() == 64 * 1024);
  CHECK(arena.held_bytes() == 0);
  CHECK(pool.in_use_bytes() == 0);
}

TEST_CASE("a steady batch loop takes no new block after the first batch") {
  BufferPool pool(8u << 20);
  BatchArena arena(&pool, 4096);
  const auto batch = [&arena] {
    BatchArena::Scope scope(arena);
    std::pmr::vector<std::string_view> keys(&arena);
    for (int i = 0; i < 100; ++i) keys.emplace_back("key");
    auto* counts = arena.New<std::array<int, 64>>();
    (*counts)[0] = static_cast<int>(keys.size());
    return (*counts)[0];
  };
  CHECK(batch() == 100);
  const uint64_t blocks = arena.blocks_allocated();
  const uint64_t misses = pool.stats().misses;
  for (int i = 0; i < 1000; ++i) CHECK(batch() == 100);
  CHECK(arena.blocks_allocated() == blocks);
  CHECK(pool.stats().misses == misses);
  CHECK(arena.used_bytes() == 0);
}

}  // namespace
}  // namespace kmd::memory
