// The replay loops of replay.h. The common case (one cache, gets only) is a tight loop over the
// key and size arrays; shards and write/delete records take the general loop.
#include "bench/sim/replay.h"

#include <time.h>

#include <chrono>
#include <string_view>

namespace kmd::sim {
namespace {

// One record against one cache; true on a counted miss.
inline bool Apply(SimCache& c, uint64_t key, uint32_t size, Op op) {
  switch (op) {
    case Op::kGet:
      return !c.Access(key, size);
    case Op::kWrite:
      c.Access(key, size);
      return false;
    case Op::kDelete:
      c.Erase(key);
      return false;
  }
  return false;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

CacheSet MakeCaches(PolicyKind kind, uint64_t capacity, bool bytes, uint32_t shards) {
  CacheSet set;
  if (kind == PolicyKind::kAdaptive && shards > 1) {
    set.controller = std::make_unique<cache::policy::AdaptiveController>();
  }
  std::vector<const SimCache*> all;
  for (uint64_t cap : ShardCapacities(capacity, shards)) {
    set.shards.push_back(std::make_unique<SimCache>(cap, bytes, kind, set.controller.get()));
    all.push_back(set.shards.back().get());
  }
  if (set.controller) {
    set.controller->SetResidentSource([all] {
      uint64_t n = 0;
      for (const SimCache* c : all) n += c->resident();
      return n;
    });
  }
  return set;
}

bool PolicyImplemented(PolicyKind kind) {
  return std::string_view(cache::policy::AdaptivePolicy(kind).name()) ==
         cache::policy::PolicyName(kind);
}

std::string ImplementedPolicyNames() {
  std::string out;
  for (std::string_view name : cache::policy::kPolicyNames) {
    if (!PolicyImplemented(*cache::policy::ParsePolicyKind(name))) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

uint32_t ShardOf(uint64_t key, uint32_t shards) {
  const uint64_t high = cache::policy::Mix64(key) >> 32;
  return static_cast<uint32_t>((high * shards) >> 32);
}

std::vector<uint64_t> ShardCapacities(uint64_t capacity, uint32_t shards) {
  std::vector<uint64_t> caps(shards, capacity / shards);
  for (uint64_t i = 0; i < capacity % shards; ++i) ++caps[i];
  return caps;
}

RunResult Replay(const Trace& trace, PolicyKind kind, uint64_t capacity, bool bytes,
                 uint32_t shards) {
  CacheSet set = MakeCaches(kind, capacity, bytes, shards);
  std::vector<std::unique_ptr<SimCache>>& caches = set.shards;
  const size_t n = trace.records();
  const uint64_t* keys = trace.keys.data();
  const uint32_t* sizes = trace.sizes.data();
  uint64_t misses = 0;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuSeconds();
  if (shards == 1 && trace.ops.empty()) {
    SimCache& c = *caches[0];
    for (size_t i = 0; i < n; ++i) misses += !c.Access(keys[i], sizes[i]);
  } else {
    for (size_t i = 0; i < n; ++i) {
      SimCache& c = *caches[shards == 1 ? 0 : ShardOf(keys[i], shards)];
      misses += Apply(c, keys[i], sizes[i], trace.ops.empty() ? Op::kGet : trace.ops[i]);
    }
  }
  const double cpu_end = ThreadCpuSeconds();
  const auto end = std::chrono::steady_clock::now();
  RunResult r;
  r.requests = trace.gets;
  r.misses = misses;
  r.records = n;
  r.seconds = std::chrono::duration<double>(end - start).count();
  r.cpu_seconds = cpu_end - cpu_start;
  return r;
}

}  // namespace kmd::sim
