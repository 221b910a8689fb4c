// DebugLeak: what each site owes is rate x time since start minus what it paid; a request that
// wins the CAS on `paid` allocates the difference.
#include "server/dispatch/debug_leak.h"

#include <cstring>

namespace kmd::dispatch {
namespace {

// Heads the list of leaked blocks (each block's first word points to the previous head).
std::atomic<void*> g_leaked{nullptr};

void Keep(char* block, size_t bytes, char tag) {
  std::memset(block, tag, bytes);  // touched: the leak shows in RSS, not only in the sampler
  void* head = g_leaked.load(std::memory_order_relaxed);
  do {
    std::memcpy(block, &head, sizeof(head));
  } while (!g_leaked.compare_exchange_weak(head, block, std::memory_order_release,
                                           std::memory_order_relaxed));
}

}  // namespace

// Distinct bodies (the tag), so identical-code folding cannot merge the three sites.
void LeakSiteA(size_t bytes) { Keep(new char[bytes], bytes, 'a'); }
void LeakSiteB(size_t bytes) { Keep(new char[bytes], bytes, 'b'); }
void LeakSiteC(size_t bytes) { Keep(new char[bytes], bytes, 'c'); }

DebugLeak::DebugLeak(const std::vector<config::LeakRate>& rates)
    : start_(std::chrono::steady_clock::now()) {
  sites_[0].leak = &LeakSiteA;
  sites_[1].leak = &LeakSiteB;
  sites_[2].leak = &LeakSiteC;
  for (const config::LeakRate& r : rates) {
    sites_[static_cast<size_t>(r.site - 'a')].bytes_per_second = r.bytes_per_second;
  }
}

// No sibling calls: the last site's call would become a jump and drop this frame from its stack.
[[gnu::optimize("no-optimize-sibling-calls")]] void DebugLeak::OnRequest() {
  const auto elapsed = std::chrono::steady_clock::now() - start_;
  const double seconds = std::chrono::duration<double>(elapsed).count();
  for (Site& site : sites_) {
    if (site.bytes_per_second == 0) continue;
    const auto due = static_cast<uint64_t>(seconds * static_cast<double>(site.bytes_per_second));
    uint64_t paid = site.paid.load(std::memory_order_relaxed);
    if (due < paid + kMinChunk) continue;
    const uint64_t chunk = std::min(due - paid, kMaxChunk);
    if (site.paid.compare_exchange_strong(paid, paid + chunk, std::memory_order_relaxed)) {
      site.leak(chunk);
    }
  }
}

uint64_t DebugLeak::leaked() const {
  uint64_t total = 0;
  for (const Site& site : sites_) total += site.paid.load(std::memory_order_relaxed);
  return total;
}

}  // namespace kmd::dispatch
