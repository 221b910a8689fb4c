// AllocSampler: site interning (hash of the frames, linear probing), the pointer table (linear
// probing with backward-shift deletion, so no tombstones pile up), and the two hooks.
#include "core/profile/alloc_sampler.h"

#include <execinfo.h>

#include <stdexcept>
#include <string_view>

#include "core/base/alloc_sample_hook.h"
#include "core/base/hash.h"

namespace kmd::profile {
namespace {

constexpr size_t kSiteIndexSlots = AllocSampler::kMaxSites * 2;
constexpr size_t kMaxLive = AllocSampler::kPointerSlots / 2;

std::atomic<AllocSampler*> g_instance{nullptr};

size_t PointerHome(const void* ptr) {
  const uint64_t p = reinterpret_cast<uintptr_t>(ptr) >> 4;
  return static_cast<size_t>((p * 0x9E3779B97F4A7C15ull) >> 49) & (AllocSampler::kPointerSlots - 1);
}

}  // namespace

AllocSampler::AllocSampler(bool register_hooks)
    : registered_(register_hooks),
      sites_(new Site[kMaxSites]),
      site_index_(new uint32_t[kSiteIndexSlots]()),
      slots_(new Slot[kPointerSlots]) {
  if (!register_hooks) return;
  AllocSampler* expected = nullptr;
  if (!g_instance.compare_exchange_strong(expected, this)) {
    throw std::logic_error("AllocSampler: another sampler is registered");
  }
  // backtrace() loads the unwinder on its first call (dlopen, malloc): do it now, not in a hook.
  void* warm[4];
  backtrace(warm, 4);
  static const base::AllocSampleHooks hooks = [] {
    base::AllocSampleHooks h;
    h.on_sample = &AllocSampler::OnSample;
    h.on_free = &AllocSampler::OnFree;
    return h;
  }();
  base::SetAllocSampleHooks(&hooks);
}

AllocSampler::~AllocSampler() {
  if (registered_) {
    base::SetAllocSampleHooks(nullptr);
    g_instance.store(nullptr);
  }
  // The filter is process-wide: take our pointers out so that their deletes go fast again.
  for (size_t i = 0; i < kPointerSlots; ++i) {
    if (slots_[i].ptr != nullptr) base::g_sampled_pointers.Remove(slots_[i].ptr);
  }
}

void AllocSampler::OnSample(void* ptr, size_t /*size*/, size_t weight, void* caller) {
  void* frames[kMaxFrames + kSkipFrames];
  const int n = backtrace(frames, static_cast<int>(kMaxFrames + kSkipFrames));
  AllocSampler* self = g_instance.load(std::memory_order_acquire);
  if (self == nullptr) return;
  // The stack starts at the allocating code: the frame holding the caller's return address.
  int first = 0;
  while (first < n && first < kSkipFrames && frames[first] != caller) ++first;
  if (first == n || first == kSkipFrames) first = 0;  // not seen (no frame info): keep all
  const int depth = std::min<int>(n - first, static_cast<int>(kMaxFrames));
  self->Record(ptr, weight, std::span<void* const>(frames + first, depth));
}

void AllocSampler::OnFree(void* ptr) {
  AllocSampler* self = g_instance.load(std::memory_order_acquire);
  if (self != nullptr) self->Forget(ptr);
}

uint32_t AllocSampler::InternSite(std::span<void* const> frames) {
  const size_t depth = std::min(frames.size(), kMaxFrames);
  const uint64_t hash = base::HashKey(
      std::string_view(reinterpret_cast<const char*>(frames.data()), depth * sizeof(void*)));
  for (size_t i = hash % kSiteIndexSlots;; i = (i + 1) % kSiteIndexSlots) {
    const uint32_t entry = site_index_[i];
    if (entry == 0) {
      if (site_count_ == kMaxSites) return kMaxSites;
      Site& site = sites_[site_count_];
      site.hash = hash;
      site.depth = static_cast<uint8_t>(depth);
      std::copy(frames.begin(), frames.begin() + depth, site.frames.begin());
      site_index_[i] = static_cast<uint32_t>(++site_count_);
      return static_cast<uint32_t>(site_count_ - 1);
    }
    const Site& site = sites_[entry - 1];
    if (site.hash == hash && site.depth == depth &&
        std::equal(frames.begin(), frames.begin() + depth, site.frames.begin())) {
      return entry - 1;
    }
  }
}

size_t AllocSampler::FindSlot(const void* ptr) const {
  for (size_t i = PointerHome(ptr);; i = (i + 1) & (kPointerSlots - 1)) {
    if (slots_[i].ptr == ptr) return i;
    if (slots_[i].ptr == nullptr) return kPointerSlots;
  }
}

void AllocSampler::EraseSlot(size_t hole) {
  // Backward shift: move later members of the probe run into the hole when their home allows.
  for (size_t i = (hole + 1) & (kPointerSlots - 1);; i = (i + 1) & (kPointerSlots - 1)) {
    if (slots_[i].ptr == nullptr) break;
    const size_t home = PointerHome(slots_[i].ptr);
    const size_t dist_hole = (hole - home) & (kPointerSlots - 1);
    const size_t dist_i = (i - home) & (kPointerSlots - 1);
    if (dist_hole < dist_i) {
      slots_[hole] = slots_[i];
      hole = i;
    }
  }
  slots_[hole] = Slot{};
}

void AllocSampler::Record(const void* ptr, uint64_t weight, std::span<void* const> frames) {
  std::lock_guard lock(mu_);
  const uint32_t site = InternSite(frames);
  if (site == kMaxSites || totals_.live == kMaxLive) {
    ++totals_.dropped;
    return;
  }
  size_t i = FindSlot(ptr);
  if (i != kPointerSlots) {
    // Freed behind our back (a delete we never saw): the old record is stale.
    Site& old = sites_[slots_[i].site];
    old.live_bytes -= slots_[i].weight;
    --old.live_samples;
    EraseSlot(i);
    --totals_.live;
  } else {
    base::g_sampled_pointers.Add(ptr);
  }
  for (i = PointerHome(ptr); slots_[i].ptr != nullptr; i = (i + 1) & (kPointerSlots - 1)) {
  }
  slots_[i] = Slot{ptr, site, weight};
  Site& s = sites_[site];
  s.live_bytes += weight;
  ++s.live_samples;
  s.total_bytes += weight;
  ++totals_.samples;
  ++totals_.live;
}

bool AllocSampler::Forget(const void* ptr) {
  std::lock_guard lock(mu_);
  const size_t i = FindSlot(ptr);
  if (i == kPointerSlots) return false;
  Site& s = sites_[slots_[i].site];
  s.live_bytes -= slots_[i].weight;
  --s.live_samples;
  EraseSlot(i);
  base::g_sampled_pointers.Remove(ptr);
  ++totals_.frees;
  --totals_.live;
  return true;
}

std::vector<SiteFigures> AllocSampler::Sites() const {
  // The copies allocate under mu_: keep them out of the hooks (which take mu_).
  const base::ScopedAllocSamplingPause pause;
  std::lock_guard lock(mu_);
  std::vector<SiteFigures> out(site_count_);
  for (size_t i = 0; i < site_count_; ++i) {
    const Site& s = sites_[i];
    out[i].id = static_cast<uint32_t>(i);
    out[i].frames.assign(s.frames.begin(), s.frames.begin() + s.depth);
    out[i].live_bytes = s.live_bytes;
    out[i].live_samples = s.live_samples;
    out[i].total_bytes = s.total_bytes;
  }
  return out;
}

std::vector<uint64_t> AllocSampler::LiveBytesBySite() const {
  // The copies allocate under mu_: keep them out of the hooks (which take mu_).
  const base::ScopedAllocSamplingPause pause;
  std::lock_guard lock(mu_);
  std::vector<uint64_t> out(site_count_);
  for (size_t i = 0; i < site_count_; ++i) out[i] = sites_[i].live_bytes;
  return out;
}

SamplerTotals AllocSampler::Totals() const {
  std::lock_guard lock(mu_);
  return totals_;
}

}  // namespace kmd::profile
