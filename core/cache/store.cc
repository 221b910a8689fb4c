// Store: memcached 1.6.18 command semantics (memcached.c do_store_item, do_add_delta; items.c
// do_item_get; proto_text.c meta flags) over slab memory.
// Thread-safety: one mutex per shard guards its index segment, LRU lists, CAS counter, pending
// flush and counters. Chunks are allocated and filled with no shard lock held; eviction then
// locks the key's shard (blocking, nothing else held) or try_locks others, never blocking on a
// second shard lock. Slab class mutexes are leaf locks. CLOCK's per-class hand mutex is held
// only to step the hand (with no shard lock held, and under it only a class mutex).
// Page moves: when a class cannot get a chunk (or a class holding much older items has pages to
// spare), MovePageTo empties one page of a donor class item by item (one shard lock at a time,
// blocking: the mover holds no other lock) and the allocator reassigns it; see MovePageTo.
// Expiry crawler (CrawlExpired, and a thread that calls it): walks LRU lists tail to head in
// slices of kCrawlSlice items per shard-lock hold; its position is kept in the list (Lru::crawl)
// so that PolicyRemove can step it past an item another thread unlinks while the lock is released.
// Invariant: pages + index <= memory_limit; an item is freed when its last reference (the linked
// state's or an ItemRef's) is dropped.
#include "core/cache/store.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/base/hash.h"
#include "core/base/item_sample_hook.h"
#include "core/cache/item.h"
#include "core/cache/policy/adaptive_policy.h"
#include "core/cache/store_metrics.h"
#include "core/memory/rebalance.h"
#include "core/memory/slab_allocator.h"

namespace kmd::cache {

namespace {

constexpr int64_t kRelativeLimit = 60 * 60 * 24 * 30;  // memcached REALTIME_MAXDELTA
constexpr size_t kMaxKey = 250;
// memcached's item_size_ok(): sizeof(item) 48 + CAS 8 + key + NUL + "\r\n" (+4 if flags != 0).
constexpr size_t kMemcachedItemOverhead = 48 + 8 + 1 + 2;
constexpr int kEvictAttempts = 16;
constexpr int kTailSearch = 5;
// CLOCK: linked items one hand visit passes over (clearing visited bits) before it evicts the next
// evictable one regardless, and chunks it steps over in all; -M (only expired items may go) looks
// at fewer. Bounds one eviction's work: a lap over a class of hot items is spread over calls.
constexpr uint32_t kClockPatience = 256;
constexpr uint32_t kClockPatienceNoEvict = 64;
constexpr uint32_t kClockMaxSteps = 4096;
constexpr uint8_t kClockVisited = 1;     // the policy meta bit a hit sets under CLOCK
constexpr uint32_t kClockAgeProbe = 64;  // chunks ahead of the hand read for a class's tail age
// A class that has to evict its own items checks for a pressure page move on every this many
// failed allocations (a move brings a whole page, so checks need not be frequent).
constexpr uint32_t kPressureCheckEvery = 32;
constexpr int kVictimTries = 4;   // pages tried per move when earlier ones are pinned
constexpr int kFinishSpins = 64;  // yields waiting for chunks being filled on a drained page
constexpr int kCacheSyncSpins = 16;  // yields waiting for threads to return cached chunks
// Items the crawler examines per shard-lock hold: a worker waiting for the shard waits for at most
// this many item checks (a few microseconds).
constexpr size_t kCrawlSlice = 256;

// Adaptive's shadow caches: about one sampled object per 128 KiB of budget, 64..8192 of them
// (accuracy of the sampled miss ratios against their share of the budget: under 1% of it with
// twelve candidates), each costing about
// kShadowBytesPerObject in each candidate's shadow; the shadows may hold up to twice the target
// before the sampling rate is lowered. Their memory comes out of the item budget.
constexpr size_t kShadowBytesPerObject = 48;
// What a live policy owns beyond the item headers (S3-FIFO's ghost, W-TinyLFU's sketch: up to 2
// bytes per item) is set aside, like the index, as a share of the budget: 1/64, which covers items
// of 128 bytes or more. LRU, FIFO, LFU and SIEVE own nothing.
constexpr size_t kLivePolicyShare = 64;
bool LivePolicyOwnsBytes(policy::PolicyKind k) {
  return k == policy::PolicyKind::kS3Fifo || k == policy::PolicyKind::kWTinyLfu ||
         k == policy::PolicyKind::kAdaptive;  // its live policy may be either
}
// At most this share of accesses reaches the shadows (one mutex and a lookup per candidate each).
constexpr double kMaxSampleRate = 1.0 / 32;
uint32_t ShadowObjects(size_t memory_limit) {
  return static_cast<uint32_t>(std::clamp<size_t>(memory_limit / (128 * 1024), 64, 8192));
}

struct CopiedItem {
  std::string key;
  std::string value;
};

// memcached exptime rules -> absolute Unix seconds (0 = never, 1 = "already expired").
uint32_t AbsExptime(int64_t exptime, int64_t now) {
  if (exptime == 0) return 0;
  if (exptime < 0) return 1;
  int64_t abs = exptime <= kRelativeLimit ? now + exptime : exptime;
  if (abs <= 0) return 1;
  return static_cast<uint32_t>(std::min<int64_t>(abs, 0xFFFFFFFFll));
}

bool Expired(const Item* it, int64_t now) {
  const uint32_t e = it->exptime();
  return e != 0 && static_cast<int64_t>(e) <= now;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// memcached safe_strtoull() over a value that is followed by "\r\n" in memcached's memory.
bool ParseU64(std::string_view s, uint64_t* out) {
  size_t i = 0;
  while (i < s.size() && IsSpace(s[i])) ++i;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  const size_t digits_start = i;
  uint64_t v = 0;
  bool overflow = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) overflow = true;
    v = v * 10 + d;
    ++i;
  }
  if (i == digits_start || overflow) return false;
  if (i < s.size() && !IsSpace(s[i])) return false;
  if (neg) v = 0 - v;  // strtoull negates in unsigned arithmetic
  if (static_cast<int64_t>(v) < 0 && neg) return false;
  *out = v;
  return true;
}

struct ClassCounters {
  uint64_t items = 0, bytes = 0, payload = 0, header = 0;
  uint64_t cas_items = 0;  // linked items with a CAS field
  uint64_t evicted = 0, evicted_nonzero = 0, expired_unfetched = 0, evicted_unfetched = 0;
  uint64_t outofmemory = 0, reclaimed = 0;
  int64_t evicted_at = 0, evicted_time = 0;  // last eviction: when, and its idle seconds
  uint64_t get_hits = 0, cmd_set = 0, delete_hits = 0, incr_hits = 0, decr_hits = 0;
  uint64_t cas_hits = 0, cas_badval = 0, touch_hits = 0;
};

struct ShardCounters {
  uint64_t total_items = 0, evictions = 0, reclaimed = 0, expired_unfetched = 0,
           evicted_unfetched = 0;
  uint64_t get_misses = 0, get_expired = 0, get_flushed = 0, cmd_get = 0, cmd_touch = 0,
           cmd_set = 0;
  uint64_t touch_misses = 0, delete_misses = 0, incr_misses = 0, decr_misses = 0, cas_misses = 0;
  uint64_t slab_reassign_evictions = 0;   // live items evicted to empty a page for a move
  uint64_t slab_reassign_busy_items = 0;  // moves that skipped a page for a pinned or busy item
  uint64_t store_too_large = 0, store_no_memory = 0;
  uint64_t crawler_reclaimed = 0;
  uint64_t cas_copies = 0;  // items copied to give them a CAS field (the first CAS handed out)
};

// The eviction policy behind the policy seam (policy/eviction_policy.h), chosen by config.
using Policy = policy::AdaptivePolicy;
static_assert(policy::kNoItem == kNullRef, "policies and the slab allocator share the null ref");

// One slab class's items in one shard: the policy's ordering plus the crawler's bookkeeping.
struct Lru {
  Policy policy;
  // Linked items with a non-zero exptime: the crawler skips a list without any, so a cache that
  // sets no TTLs pays nothing for it.
  uint32_t ttl_items = 0;
  // No linked item of this list expires before this (absolute seconds): a lower bound kept by
  // Link and SetExptime and tightened by a crawl that walks the whole list, so a pass skips lists
  // where nothing is due yet instead of walking every TTL item each second.
  uint32_t earliest_exptime = UINT32_MAX;
  // While the crawler walks this list (lock released between slices): the next item it will
  // examine, or kNullRef once it has passed the head.
  bool crawling = false;
  Ref crawl = kNullRef;
  // Set when the policy may have moved an item from ahead of the crawl cursor to behind it while
  // the crawler was between slices (a hit or victim choice of a policy other than LRU and FIFO,
  // whose items move only toward the head): such a walk did not see every item.
  bool disturbed = false;
};

}  // namespace

// CLOCK's hand over one class's pages (a page index and a chunk in it).
struct alignas(64) ClockHand {
  std::mutex mu;  // taken before a shard lock, never while one is held
  uint32_t page = memory::SlabAllocator::kNoPage;
  uint32_t chunk = 0;
};

struct alignas(64) Shard {
  std::mutex mu;
  std::unique_ptr<Ref[]> buckets;
  uint32_t bucket_mask = 0;
  std::unique_ptr<Lru[]> lru;
  uint64_t cas_counter = 0;
  // Linked items; written under mu, read without it by Adaptive's controller (relaxed).
  std::atomic<uint64_t> resident{0};
  int64_t flush_at = 0;  // pending delayed flush (absolute seconds), 0 = none
  ShardCounters c;
  // One per slab class, made with the shard (about 20 KiB). Made on a class's first use instead,
  // they grew the heap for a minute of a mixed-size workload, bounded but slowly (every shard
  // meets every class in turn), which the leak detector cannot tell from a leak.
  std::unique_ptr<ClassCounters[]> cc;
};

struct Store::Impl {
  StoreConfig config;
  const base::Clock* clock;
  int64_t start_time;
  uint32_t shard_bits;
  uint32_t shard_mask;
  std::unique_ptr<Shard[]> shards;
  size_t index_bytes;
  std::unique_ptr<memory::SlabAllocator> slabs;
  std::string page_source_warning;
  // Adaptive's shared controller (eviction policy "adaptive" only) and the budget it is given.
  std::unique_ptr<policy::AdaptiveController> adaptive;
  size_t policy_reserve = 0;
  // CLOCK over slab memory (policy "clock"): items have no policy links and the per-class hands
  // below choose victims; list policies leave `hands` empty.
  bool clock_policy = false;
  std::unique_ptr<ClockHand[]> hands;
  int num_classes;
  uint32_t largest_chunk;
  std::atomic<uint64_t> cmd_flush{0};
  std::atomic<uint32_t> evict_cursor{0};
  std::atomic<uint64_t> slabs_moved_base{0};  // allocator's move count at the last ResetStats
  std::unique_ptr<std::atomic<uint32_t>[]> pressure_ticks;
  std::mutex crawl_mu;  // one crawler pass at a time (the Lru::crawl cursor is single)
  // CrawlIndex's per-class expiry bounds (under crawl_mu; sized once, so a pass allocates nothing).
  std::vector<uint32_t> crawl_old_earliest, crawl_seen_earliest;
  // RSS control: bytes of -m outside the slab pages (index, policy reserves), the budget in force
  // (at most -m), and one releaser at a time.
  size_t fixed_bytes = 0;
  std::atomic<size_t> effective_limit{0};
  std::mutex release_mu;
  // Draining pages on their way to being parked, waiting for readers' pins (under release_mu).
  struct PendingPage {
    uint32_t page;
    int cls;
  };
  std::vector<PendingPage> pending_release;
  std::atomic<uint64_t> crawler_runs{0};
  std::mutex crawler_wake_mu;
  std::condition_variable crawler_wake;
  bool crawler_stop = false;  // guarded by crawler_wake_mu
  std::thread crawler;

  explicit Impl(const StoreConfig& cfg) : config(cfg), clock(cfg.clock) {
    if (clock == nullptr) clock = &base::SystemClock::Instance();
    start_time = clock->NowSeconds();
    const uint32_t nshards = std::bit_floor(std::max<uint32_t>(cfg.shards, 1));
    shard_bits = static_cast<uint32_t>(std::countr_zero(nshards));
    shard_mask = nshards - 1;
    size_t page_size = std::bit_floor(std::clamp<size_t>(cfg.page_size, 1024, kMaxPageSize));
    config.page_size = page_size;
    config.shards = nshards;
    // The index is sized once: ~1 bucket per 256 bytes of budget, a power of two per shard.
    const size_t per_shard = std::bit_floor(std::max<size_t>(cfg.memory_limit / 256 / nshards, 16));
    index_bytes = per_shard * nshards * sizeof(Ref);
    shards = std::make_unique<Shard[]>(nshards);
    clock_policy = !policy::UsesItemLinks(cfg.policy);
    if (cfg.policy == policy::PolicyKind::kAdaptive) {
      policy::AdaptiveOptions opts;
      opts.shadow_objects = ShadowObjects(cfg.memory_limit);
      opts.max_sample_rate = kMaxSampleRate;
      adaptive = std::make_unique<policy::AdaptiveController>(opts);
      policy_reserve = 2 * opts.shadow_objects * opts.candidates.size() * kShadowBytesPerObject;
    }
    const size_t live_reserve =
        LivePolicyOwnsBytes(cfg.policy) ? cfg.memory_limit / kLivePolicyShare : 0;
    const size_t fixed = index_bytes + policy_reserve + live_reserve;
    const size_t budget = cfg.memory_limit > fixed ? cfg.memory_limit - fixed : 0;
    fixed_bytes = fixed;
    effective_limit.store(cfg.memory_limit, std::memory_order_relaxed);
    memory::PageSourceOptions source_options;
    source_options.kind = cfg.page_source;
    source_options.page_size = page_size;
    source_options.max_pages =
        std::max<uint32_t>(memory::SlabAllocator::BudgetPages(budget, page_size), 1);
    source_options.huge_pages = cfg.huge_pages;
    memory::MadePageSource made = memory::MakePageSource(source_options);
    if (made.source == nullptr) throw std::runtime_error(made.error);
    page_source_warning = std::move(made.warning);
    slabs = std::make_unique<memory::SlabAllocator>(budget, std::move(made.source));
    num_classes = slabs->classes().count();
    largest_chunk = slabs->classes().chunk_size(slabs->classes().largest());
    pressure_ticks = std::make_unique<std::atomic<uint32_t>[]>(num_classes);
    if (clock_policy) hands = std::make_unique<ClockHand[]>(num_classes);
    crawl_old_earliest.resize(num_classes);
    crawl_seen_earliest.resize(num_classes);
    for (uint32_t i = 0; i < nshards; ++i) {
      Shard& s = shards[i];
      s.buckets = std::make_unique<Ref[]>(per_shard);
      std::fill_n(s.buckets.get(), per_shard, kNullRef);
      s.bucket_mask = static_cast<uint32_t>(per_shard - 1);
      s.lru = std::make_unique<Lru[]>(num_classes);
      for (int c = 0; c < num_classes; ++c) s.lru[c].policy = Policy(cfg.policy, adaptive.get());
      s.cc = std::make_unique<ClassCounters[]>(num_classes);
    }
    if (adaptive) {
      adaptive->SetResidentSource([this] {
        uint64_t n = 0;
        for (uint32_t i = 0; i <= shard_mask; ++i) {
          n += shards[i].resident.load(std::memory_order_relaxed);
        }
        return n;
      });
    }
    if (cfg.crawler_interval_ms > 0 && clock == &base::SystemClock::Instance()) {
      crawler = std::thread([this] { CrawlerLoop(); });
    }
  }

  ~Impl() {
    // The thread walks the shards: it must be gone before they are torn down.
    if (crawler.joinable()) {
      {
        std::lock_guard lock(crawler_wake_mu);
        crawler_stop = true;
      }
      crawler_wake.notify_all();
      crawler.join();
    }
    // Free linked items so that the allocator's bookkeeping ends balanced (pages are unmapped
    // with the allocator anyway). Outstanding ItemRefs must not outlive the Store.
    for (uint32_t i = 0; i <= shard_mask; ++i) FlushShard(shards[i]);
  }

  int64_t Now() const { return clock->NowSeconds(); }
  uint16_t Now16(int64_t now) const { return static_cast<uint16_t>(now - start_time); }

  Item* ItemAt(Ref r) const { return static_cast<Item*>(slabs->Resolve(r)); }
  Ref RefOf(const Item* it) const { return slabs->RefOf(it); }
  int ClassOf(const Item* it) const { return slabs->ClassOfPtr(it); }

  Shard& ShardFor(uint64_t hash) { return shards[hash & shard_mask]; }
  uint32_t ShardIndex(uint64_t hash) const { return static_cast<uint32_t>(hash & shard_mask); }
  static uint32_t Bucket(const Shard& s, uint64_t hash) {
    return static_cast<uint32_t>(hash >> 32) & s.bucket_mask;
  }

  static ClassCounters& CC(Shard& s, int cls) { return s.cc[cls]; }

  uint64_t NextCas(Shard& s, uint32_t shard_index) {
    ++s.cas_counter;
    return ((s.cas_counter << shard_bits) | shard_index) & kCasMask;
  }

  // The CAS a mutation gives its item: the client's (meta E) when it named one, else a fresh one.
  uint64_t MutationCas(Shard& s, uint32_t shard_index, uint64_t explicit_cas) {
    return explicit_cas != 0 ? explicit_cas & kCasMask : NextCas(s, shard_index);
  }

  // Gives a new version of an item its CAS. An item without a CAS field keeps none: nobody asked
  // for it (AllocItem gives the field when the caller wants the CAS back or names one), and the
  // first reader who asks gets a fresh one (EnsureCas).
  void AssignCas(Shard& s, uint32_t shard_index, Item* it, uint64_t explicit_cas) {
    if (it->Has(kHasCas)) it->set_cas(MutationCas(s, shard_index, explicit_cas));
  }

  // Optional fields a write must give its new item for its CAS.
  static uint8_t CasField(bool want_cas, uint64_t explicit_cas) {
    return (want_cas || explicit_cas != 0) ? kHasCas : 0;
  }

  // meta ms I: is `cas` older than the item's? An item without a CAS field has one newer than
  // any handed out so far (it would be drawn from the counter when first asked for).
  static bool CasOlderThan(uint64_t cas, const Item* it) {
    return !it->Has(kHasCas) || cas < it->cas();
  }

  // After copying `old` into `fresh` without the shard lock (lock now held again): true when
  // `old` is still the linked version that was copied; otherwise both references are dropped
  // and the caller starts over against the new state.
  bool StillCurrent(Item* old, uint64_t old_cas, Item* fresh) {
    if (old->Has(kLinked) && old->cas() == old_cas) return true;
    DecRef(old);
    DecRef(fresh);
    return false;
  }

  // ---- item sizing and memory ----

  size_t HeadCapacity(size_t opt, size_t nkey) const {
    return largest_chunk - kItemHeaderSize - opt - nkey - kChainHeadExtra;
  }

  struct Footprint {
    uint64_t chunk_bytes, header, payload;
  };
  Footprint FootprintOf(const Item* it) const {
    const size_t nkey = it->h.nkey;
    const size_t opt = it->OptSize();
    const uint64_t vlen = it->value_size();
    if (!it->Has(kChained)) {
      return {slabs->classes().chunk_size(ClassOf(it)), kItemHeaderSize + opt, nkey + vlen};
    }
    const uint64_t head = HeadCapacity(opt, nkey);
    const uint64_t rest = vlen > head ? vlen - head : 0;
    const uint64_t conts =
        (rest + largest_chunk - kContinuationHeader - 1) / (largest_chunk - kContinuationHeader);
    return {uint64_t{largest_chunk} * (1 + conts),
            kItemHeaderSize + opt + kChainHeadExtra + conts * kContinuationHeader, nkey + vlen};
  }

  // The policy's view of the items (policy::ItemView): links and meta bits in the item header.
  struct ItemPolicyView {
    Impl* m;
    policy::PolicyLinks& links(Ref r) { return m->ItemAt(r)->links(); }
    uint8_t meta(Ref r) const { return m->ItemAt(r)->policy_meta(); }
    void set_meta(Ref r, uint8_t v) { m->ItemAt(r)->set_policy_meta(v); }
    uint64_t hash(Ref r) const { return base::HashKey(m->ItemAt(r)->key()); }
  };
  static_assert(policy::EvictionPolicy<Policy, ItemPolicyView>);
  ItemPolicyView View() { return ItemPolicyView{this}; }

  // Whether a policy of this kind moves items only toward the head of its eviction order.
  static bool OrderStable(const Policy& p) {
    return p.live_kind() == policy::PolicyKind::kLru || p.live_kind() == policy::PolicyKind::kFifo;
  }

  // Pops the LRU tail (or one of the few above it) of class `cls` in some shard, freeing memory.
  // Must be called with no shard lock held.
  bool EvictOne(int cls, uint32_t home, int64_t now) {
    if (clock_policy) return ClockEvict(cls, now);
    const uint32_t n = shard_mask + 1;
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t idx = (home + i) & shard_mask;
      Shard& s = shards[idx];
      std::unique_lock lock(s.mu, std::defer_lock);
      if (i == 0) {
        lock.lock();
      } else if (!lock.try_lock()) {
        continue;
      }
      ItemPolicyView v = View();
      Lru& l = s.lru[cls];
      if (l.crawling && !OrderStable(l.policy)) l.disturbed = true;
      Ref r = l.policy.Victim(v);
      for (int tries = 0; tries < kTailSearch && r != kNullRef; ++tries) {
        Item* it = ItemAt(r);
        const Ref prev = l.policy.Next(r, v);
        // -M (no evictions): only expired items may give their memory back.
        if (it->Refs().load(std::memory_order_acquire) == 1 &&
            (config.evictions || Expired(it, now))) {
          EvictItem(s, cls, it, base::HashKey(it->key()), now);
          return true;
        }
        r = prev;
      }
    }
    return false;
  }

  // Unlinks `it` (linked, in `s`, referenced only by the linked state) to make room, counting it
  // as memcached does: reclaimed if it had expired, else evicted.
  void EvictItem(Shard& s, int cls, Item* it, uint64_t hash, int64_t now) {
    const bool expired = Expired(it, now);
    if (expired) {
      CountReclaimed(s, cls, it);
    } else {
      ClassCounters& cc = CC(s, cls);
      ++s.c.evictions;
      ++cc.evicted;
      cc.evicted_at = now;
      cc.evicted_time = static_cast<uint16_t>(Now16(now) - it->h.atime);
      if (it->exptime() != 0) ++cc.evicted_nonzero;
      if (!it->Has(kFetched)) {
        ++s.c.evicted_unfetched;
        ++cc.evicted_unfetched;
      }
    }
    Unlink(s, it, hash, /*evicted=*/!expired);
  }

  // An expired item leaves: memcached counts it reclaimed once its memory is reused.
  void CountReclaimed(Shard& s, int cls, const Item* it) {
    ClassCounters& cc = CC(s, cls);
    ++s.c.reclaimed;
    ++cc.reclaimed;
    if (!it->Has(kFetched)) {
      ++s.c.expired_unfetched;
      ++cc.expired_unfetched;
    }
  }

  // ---- CLOCK over slab memory ----

  // Advances `cls`'s hand by one chunk; false if the class has no page.
  bool ClockStep(int cls, uint32_t* page, uint32_t* chunk) {
    ClockHand& hand = hands[cls];
    std::lock_guard lock(hand.mu);
    if (hand.page == memory::SlabAllocator::kNoPage ||
        ++hand.chunk >= slabs->classes().chunks_per_page(cls)) {
      hand.page = slabs->NextPageOf(cls, hand.page);
      hand.chunk = 0;
      if (hand.page == memory::SlabAllocator::kNoPage) return false;
    }
    *page = hand.page;
    *chunk = hand.chunk;
    return true;
  }

  // The chunk at (page, chunk) of class `cls` if it holds an item linked in its shard: locks that
  // shard into `lock` and returns the item and its hash. The chunk is read without a lock (it may
  // be free, being filled, or on a page that moved meanwhile): only the index, under the shard
  // lock, says whether it is a linked item, and while that lock is held it stays one.
  Item* LockLinkedAt(uint32_t page, int cls, uint32_t chunk, std::unique_lock<std::mutex>& lock,
                     uint64_t* hash) {
    Item* it = static_cast<Item*>(const_cast<void*>(slabs->ChunkIn(page, cls, chunk)));
    if (!(it->Bits().load(std::memory_order_acquire) & kLinked)) return nullptr;
    char key[kMaxKey];
    const size_t nkey = it->h.nkey;
    const size_t key_at = static_cast<size_t>(it->key_ptr() - it->raw());
    if (nkey == 0 || nkey > kMaxKey || key_at + nkey > slabs->classes().chunk_size(cls)) {
      return nullptr;
    }
    std::memcpy(key, it->key_ptr(), nkey);
    const std::string_view k(key, nkey);
    *hash = base::HashKey(k);
    Shard& s = ShardFor(*hash);
    lock = std::unique_lock(s.mu);
    if (Find(s, k, *hash) != it) {
      lock.unlock();
      return nullptr;
    }
    return it;
  }

  // CLOCK (second chance) in memory order: the hand passes over a visited item, clearing its bit,
  // and evicts the first unvisited one that nobody pins (-M: the first expired one). A new item
  // takes a freed chunk, usually the one just behind the hand, so it is looked at last.
  bool ClockEvict(int cls, int64_t now) {
    const uint32_t patience = config.evictions ? kClockPatience : kClockPatienceNoEvict;
    uint32_t linked = 0;
    for (uint32_t step = 0; step < kClockMaxSteps && linked < 2 * patience; ++step) {
      uint32_t page, chunk;
      if (!ClockStep(cls, &page, &chunk)) return false;
      std::unique_lock<std::mutex> lock;
      uint64_t hash;
      Item* it = LockLinkedAt(page, cls, chunk, lock, &hash);
      if (it == nullptr) continue;
      ++linked;
      if (it->policy_meta() == kClockVisited && linked < patience) {
        it->set_policy_meta(0);
        continue;
      }
      if (it->Refs().load(std::memory_order_acquire) != 1) continue;
      if (!config.evictions && !Expired(it, now)) continue;
      EvictItem(ShardFor(hash), cls, it, hash, now);
      return true;
    }
    return false;
  }

  // The idle seconds of the items the hand of `cls` is about to judge (its class's "tail age"): the
  // oldest of the linked items in the chunks just ahead of it. Read without locks: a hint.
  int64_t ClockTailAge(int cls, uint16_t now16) {
    uint32_t page, chunk;
    {
      ClockHand& hand = hands[cls];
      std::lock_guard lock(hand.mu);
      page = hand.page;
      chunk = hand.chunk;
    }
    if (page == memory::SlabAllocator::kNoPage) {
      page = slabs->NextPageOf(cls, page);
      chunk = 0;
      if (page == memory::SlabAllocator::kNoPage) return 0;
    }
    const uint32_t per_page = slabs->classes().chunks_per_page(cls);
    int64_t age = 0;
    for (uint32_t i = 0; i < kClockAgeProbe; ++i, ++chunk) {
      if (chunk >= per_page) {
        page = slabs->NextPageOf(cls, page);
        chunk = 0;
        if (page == memory::SlabAllocator::kNoPage) break;
      }
      const Item* it = static_cast<const Item*>(slabs->ChunkIn(page, cls, chunk));
      if (!(it->Bits().load(std::memory_order_acquire) & kLinked)) continue;
      age = std::max<int64_t>(age, static_cast<uint16_t>(now16 - it->h.atime));
    }
    return age;
  }

  Ref AllocChunk(int cls, uint32_t home, int64_t now) {
    for (int attempt = 0; attempt < kEvictAttempts; ++attempt) {
      const Ref r = slabs->Alloc(cls);
      if (r != kNullRef) return r;
      // About to evict this class's own items: now and then ask whether another class holds much
      // older data and should give a page instead.
      if (config.evictions &&
          pressure_ticks[cls].fetch_add(1, std::memory_order_relaxed) % kPressureCheckEvery == 0 &&
          MovePageTo(cls, home, now, /*starved=*/false)) {
        continue;
      }
      if (!EvictOne(cls, home, now)) break;
    }
    // Nothing of this class to evict: take a page from another class (memcached would instead
    // give an empty class its first page over the limit; the limit here is hard).
    // A failed move (pages busy with chunks being filled or pinned) is retried after a yield:
    // writers on other threads finish filling within microseconds.
    // With -M a page move (it evicts the page's items) is not allowed either.
    for (int tries = 0; config.evictions && tries < 4; ++tries) {
      if (MovePageTo(cls, home, now, /*starved=*/true)) {
        const Ref r = slabs->Alloc(cls);
        if (r != kNullRef) return r;
      }
      std::this_thread::yield();
    }
    // No page could be moved (every candidate pinned or busy): a larger class's chunk holds the
    // item as well.
    for (int c = cls + 1; c < num_classes; ++c) {
      if (slabs->Counters(c).pages == 0) continue;
      Ref r = slabs->Alloc(c);
      if (r == kNullRef && EvictOne(c, home, now)) r = slabs->Alloc(c);
      if (r != kNullRef) return r;
    }
    return kNullRef;
  }

  // ---- page moves ----

  // Pages, items and oldest tail age per class. Shards busy right now are skipped (the figures
  // are a hint for ChooseDonorClass, not an account).
  std::vector<memory::ClassSnapshot> Snapshot(int64_t now) {
    std::vector<memory::ClassSnapshot> snap(num_classes);
    std::vector<int> used;
    for (int cls = 0; cls < num_classes; ++cls) {
      snap[cls].pages = static_cast<uint32_t>(slabs->Counters(cls).pages);
      if (snap[cls].pages != 0) used.push_back(cls);
    }
    const uint16_t now16 = Now16(now);
    if (clock_policy) {
      for (int cls : used) snap[cls].tail_age = ClockTailAge(cls, now16);
    }
    for (uint32_t i = 0; i <= shard_mask; ++i) {
      Shard& s = shards[i];
      std::unique_lock lock(s.mu, std::try_to_lock);
      if (!lock.owns_lock()) continue;
      for (int cls : used) {
        snap[cls].items += s.cc[cls].items;
        if (clock_policy) continue;
        // The age of what EvictOne would evict: a pinned tail item is passed over there, so it
        // must not make the class look old here.
        ItemPolicyView v = View();
        Ref r = s.lru[cls].policy.First(v);
        for (int tries = 0; tries < kTailSearch && r != kNullRef; ++tries) {
          const Item* it = ItemAt(r);
          if (const_cast<Item*>(it)->Refs().load(std::memory_order_relaxed) == 1) {
            const int64_t age = static_cast<uint16_t>(now16 - it->h.atime);
            snap[cls].tail_age = std::max(snap[cls].tail_age, age);
            break;
          }
          r = s.lru[cls].policy.Next(r, v);
        }
      }
    }
    return snap;
  }

  enum class PageWalk { kEmptied, kBusy, kPinnedMidway };

  // Evicts every linked item on the draining `page` of class `cls`, one shard lock at a time.
  // kBusy (nothing evicted) if a chunk is pinned by a reader or handed out but not linked (being
  // filled, or replaced while a reader still holds it); kPinnedMidway if a pin appeared later.
  // `force` (RSS release): pinned items are unlinked too, as a delete would; their chunks come
  // back to the draining page when the readers let go, so the page empties within the pin bound.
  PageWalk EvictPage(uint32_t page, int cls, int64_t now, bool force = false) {
    const uint32_t per_page = slabs->classes().chunks_per_page(cls);
    // The page is draining, so no chunk of it can be handed out again: a chunk seen free stays
    // free, and a linked item's key bytes stay in place even after it is freed.
    uint32_t linked = 0;
    for (uint32_t c = 0; c < per_page && !force; ++c) {
      Item* it = ItemAt((page << 16) | c);
      if (!(it->Bits().load(std::memory_order_acquire) & kLinked)) continue;
      if (it->Refs().load(std::memory_order_acquire) > 1) return PageWalk::kBusy;
      ++linked;
    }
    if (!force && slabs->PageUsed(page) > linked) return PageWalk::kBusy;
    for (uint32_t c = 0; c < per_page; ++c) {
      Item* it = ItemAt((page << 16) | c);
      if (!(it->Bits().load(std::memory_order_acquire) & kLinked)) continue;
      uint64_t hash = base::HashKey(it->key());
      for (;;) {
        Shard& s = ShardFor(hash);
        // Blocking is safe: the mover holds no shard lock (AllocChunk runs with none held).
        std::lock_guard lock(s.mu);
        if (!it->Has(kLinked)) break;  // deleted or replaced meanwhile
        const uint64_t h = base::HashKey(it->key());
        if ((h & shard_mask) != (hash & shard_mask)) {
          hash = h;  // the unlocked read raced a writer: go to the right shard
          continue;
        }
        if (!force && it->Refs().load(std::memory_order_acquire) != 1) {
          return PageWalk::kPinnedMidway;
        }
        if (Expired(it, now)) {
          CountReclaimed(s, cls, it);
        } else {
          ++s.c.slab_reassign_evictions;
        }
        Unlink(s, it, h, /*evicted=*/!Expired(it, now));
        break;
      }
    }
    return PageWalk::kEmptied;
  }

  // Moves one page from a donor class (ChooseDonorClass) to `cls`. Bounded: at most one page of
  // items is evicted per call; up to kVictimTries pages are looked at when earlier ones are busy.
  // Must be called with no shard lock held.
  bool MovePageTo(int cls, uint32_t home, int64_t now, bool starved) {
    const std::vector<memory::ClassSnapshot> snap = Snapshot(now);
    const int donor = memory::ChooseDonorClass(snap, cls, starved, slabs->classes().largest());
    if (donor < 0) return false;
    return EmptyOnePage(donor, home, now, [&](uint32_t p) { return slabs->FinishDrain(p, cls); });
  }

  // Empties one page of `donor` item by item and hands it to `finish` (FinishDrain to another
  // class, or ReleaseDrained to park it); false if no page could be emptied. Bounded as
  // MovePageTo. Must be called with no shard lock held.
  template <class Finish>
  bool EmptyOnePage(int donor, uint32_t home, int64_t now, Finish finish) {
    std::vector<uint32_t> skip;
    for (int tries = 0; tries < kVictimTries; ++tries) {
      const int64_t page = memory::ChooseVictimPage(slabs->Pages(donor), skip);
      if (page < 0) return false;
      const uint32_t p = static_cast<uint32_t>(page);
      skip.push_back(p);
      if (!slabs->BeginDrain(p, donor)) continue;
      PageWalk walk = EvictPage(p, donor, now);
      // Other threads return cached free chunks of a draining page at their next allocation or
      // free (SlabAllocator's drain epoch): give busy threads that moment.
      for (int spin = 0; walk == PageWalk::kBusy && spin < kCacheSyncSpins; ++spin) {
        std::this_thread::yield();
        walk = EvictPage(p, donor, now);
      }
      if (walk == PageWalk::kEmptied) {
        // Chunks handed out just before the drain began are being filled: give them a moment.
        for (int spin = 0; spin < kFinishSpins; ++spin) {
          if (finish(p)) return true;
          std::this_thread::yield();
        }
      }
      slabs->AbortDrain(p);
      {
        Shard& s = shards[home];
        std::lock_guard lock(s.mu);
        ++s.c.slab_reassign_busy_items;
      }
      if (walk != PageWalk::kBusy) return false;  // a page's worth of work is spent
    }
    return false;
  }

  // ---- RSS control: the effective item budget ----

  size_t PagesFor(size_t limit) const {
    return memory::SlabAllocator::BudgetPages(limit > fixed_bytes ? limit - fixed_bytes : 0,
                                              slabs->page_size());
  }

  size_t ReleasePages(size_t max_pages) {
    std::lock_guard lock(release_mu);
    const int64_t now = Now();
    size_t released = 0;
    // Pages drained by an earlier call that readers still pinned (or writers were filling):
    // unlink whatever was linked since, and park those that are empty now.
    std::erase_if(pending_release, [&](const PendingPage& pending) {
      EvictPage(pending.page, pending.cls, now, /*force=*/true);
      if (!slabs->ReleaseDrained(pending.page)) return false;
      ++released;
      return true;
    });
    std::vector<uint32_t> skip;
    while (released + pending_release.size() < max_pages &&
           slabs->pages_live() > slabs->target_pages() + pending_release.size()) {
      const std::vector<memory::ClassSnapshot> snap = Snapshot(now);
      const int donor = memory::ChooseDonorClass(snap, /*receiver=*/-1, /*starved=*/true,
                                                 slabs->classes().largest());
      if (donor < 0) break;
      const int64_t victim = memory::ChooseVictimPage(slabs->Pages(donor), skip);
      if (victim < 0) break;
      const uint32_t p = static_cast<uint32_t>(victim);
      skip.push_back(p);
      if (!slabs->BeginDrain(p, donor)) continue;
      EvictPage(p, donor, now, /*force=*/true);
      if (slabs->ReleaseDrained(p)) {
        ++released;
      } else {
        pending_release.push_back({p, donor});
      }
    }
    return released;
  }

  void FreeItem(Item* it) {
    if (it->Has(kChained)) {
      Ref r = it->chain_next();
      while (r != kNullRef) {
        Ref next;
        std::memcpy(&next, slabs->Resolve(r), 4);
        slabs->Free(r);
        r = next;
      }
    }
    slabs->Free(RefOf(it));
  }

  void DecRef(Item* it) {
    if (it->Refs().fetch_sub(1, std::memory_order_acq_rel) == 1) FreeItem(it);
  }

  // A new, unlinked item holding one reference (the creator's, which linking hands over).
  // `fields`: optional fields it gets even while their value is 0 (kHasExptime: a TTL may be set
  // later without a copy; kHasCas: its CAS will be handed out). Value bytes are left for the
  // caller to write; the CAS field, if any, holds 0 until AssignCas. Null on kNoMemory.
  Item* AllocItem(uint32_t shard_index, std::string_view key, size_t vlen, uint32_t flags,
                  uint32_t exptime, uint8_t fields, int64_t now) {
    uint8_t layout = 0;
    const bool links = !clock_policy;
    size_t opt = links ? kLinksFieldSize : 0;
    if (flags != 0) {
      layout |= kHasClientFlags;
      opt += 4;
    }
    if (exptime != 0 || (fields & kHasExptime)) {
      layout |= kHasExptime;
      opt += 4;
    }
    if (fields & kHasCas) {
      layout |= kHasCas;
      opt += kCasFieldSize;
    }
    size_t need = kItemHeaderSize + opt + key.size() + vlen;
    const auto& classes = slabs->classes();
    int cls = classes.ClassFor(need);
    // Free room in the chunk for an exptime or a CAS field costs nothing and spares a copy later.
    if (cls >= 0) {
      size_t room = classes.chunk_size(cls) - need;
      if (!(layout & kHasExptime) && room >= 4) {
        layout |= kHasExptime;
        opt += 4;
        room -= 4;
      }
      if (!(layout & kHasCas) && room >= kCasFieldSize) {
        layout |= kHasCas;
        opt += kCasFieldSize;
      }
    }
    Item* it;
    if (cls >= 0) {
      const Ref r = AllocChunk(cls, shard_index, now);
      if (r == kNullRef) return nullptr;
      it = ItemAt(r);
      it->set_chunk_vlen(static_cast<uint32_t>(vlen), links);
    } else {
      layout |= kChained;
      const size_t head = HeadCapacity(opt, key.size());
      const size_t per = largest_chunk - kContinuationHeader;
      const size_t conts = (vlen - head + per - 1) / per;
      const int big = classes.largest();
      const Ref r = AllocChunk(big, shard_index, now);
      if (r == kNullRef) return nullptr;
      it = ItemAt(r);
      it->set_chunk_vlen(static_cast<uint32_t>(head), links);
      // Continuations are linked back to front so that each new chunk points at the previous.
      Ref next = kNullRef;
      for (size_t i = 0; i < conts; ++i) {
        const Ref c = AllocChunk(big, shard_index, now);
        if (c == kNullRef) {
          while (next != kNullRef) {
            Ref n;
            std::memcpy(&n, slabs->Resolve(next), 4);
            slabs->Free(next);
            next = n;
          }
          slabs->Free(r);
          return nullptr;
        }
        std::memcpy(slabs->Resolve(c), &next, 4);
        next = c;
      }
      it = ItemAt(r);
      it->Bits().store(layout, std::memory_order_relaxed);
      it->h.nkey = static_cast<uint8_t>(key.size());
      const uint32_t total = static_cast<uint32_t>(vlen);
      std::memcpy(it->chain_ptr(), &total, 4);
      std::memcpy(it->chain_ptr() + 4, &next, 4);
    }
    it->h.hnext = kNullRef;
    if (links) it->links() = policy::PolicyLinks{};
    it->h.nkey = static_cast<uint8_t>(key.size());
    it->Bits().store(layout, std::memory_order_relaxed);
    it->Refs().store(1, std::memory_order_relaxed);
    it->h.atime = Now16(now);
    if (layout & kHasClientFlags) it->set_client_flags(flags);
    if (layout & kHasExptime) it->set_exptime(exptime);
    if (layout & kHasCas) it->set_cas(0);
    std::memcpy(it->key_ptr(), key.data(), key.size());
    return it;
  }

  // Calls f(char* data, size_t len) for each piece of the value, in order.
  template <typename F>
  void ForEachPiece(const Item* it, F&& f) const {
    char* head = const_cast<char*>(it->value_ptr());
    if (!it->Has(kChained)) {
      f(head, it->chunk_vlen());
      return;
    }
    size_t remaining = it->value_size();
    size_t n = std::min<size_t>(remaining, it->chunk_vlen());
    f(head, n);
    remaining -= n;
    Ref r = it->chain_next();
    const size_t per = largest_chunk - kContinuationHeader;
    while (remaining > 0 && r != kNullRef) {
      char* c = static_cast<char*>(slabs->Resolve(r));
      n = std::min(remaining, per);
      f(c + kContinuationHeader, n);
      remaining -= n;
      std::memcpy(&r, c, 4);
    }
  }

  // Writes `src` at value offset `off` (pieces of a chained item handled).
  void WriteValue(Item* it, size_t off, std::string_view src) {
    size_t pos = 0;
    ForEachPiece(it, [&](char* data, size_t len) {
      if (src.empty()) return;
      if (off >= pos + len) {
        pos += len;
        return;
      }
      const size_t start = off - pos;
      const size_t n = std::min(len - start, src.size());
      std::memcpy(data + start, src.data(), n);
      src.remove_prefix(n);
      off += n;
      pos += len;
    });
  }

  void CopyValueTo(const Item* from, Item* to, size_t off) {
    ForEachPiece(from, [&](char* data, size_t len) {
      WriteValue(to, off, std::string_view(data, len));
      off += len;
    });
  }

  // ---- index and LRU (shard lock held) ----

  Item* Find(Shard& s, std::string_view key, uint64_t hash) {
    Ref r = s.buckets[Bucket(s, hash)];
    while (r != kNullRef) {
      Item* it = ItemAt(r);
      if (it->h.nkey == key.size() && std::memcmp(it->key_ptr(), key.data(), key.size()) == 0) {
        return it;
      }
      r = it->h.hnext;
    }
    return nullptr;
  }

  void PolicyRemove(Shard& s, Item* it, int cls, bool evicted) {
    if (clock_policy) return;
    Lru& l = s.lru[cls];
    const Ref ref = RefOf(it);
    ItemPolicyView v = View();
    // The crawler's next item leaves the list while the crawler is between slices: the item after
    // it in eviction order is next instead (a bumped item is reinserted ahead of the walk).
    if (l.crawling && l.crawl == ref) l.crawl = l.policy.Next(ref, v);
    if (evicted) {
      l.policy.Evict(ref, v);
    } else {
      l.policy.Remove(ref, v);
    }
  }

  void Bump(Shard& s, Item* it, uint64_t hash, int64_t now) {
    it->h.atime = Now16(now);
    if (clock_policy) {
      if (it->policy_meta() != kClockVisited) it->set_policy_meta(kClockVisited);
      return;
    }
    Lru& l = s.lru[ClassOf(it)];
    if (l.crawling && !OrderStable(l.policy)) l.disturbed = true;
    ItemPolicyView v = View();
    l.policy.Hit(RefOf(it), hash, v);
  }

  // `counts_as_store`: false when the item only replaces a copy of itself (Regrow).
  void Link(Shard& s, Item* it, uint64_t hash, bool counts_as_store = true) {
    const Ref ref = RefOf(it);
    const int cls = ClassOf(it);
    const uint32_t b = Bucket(s, hash);
    it->h.hnext = s.buckets[b];
    s.buckets[b] = ref;
    if (!clock_policy) {
      ItemPolicyView v = View();
      s.lru[cls].policy.Insert(ref, hash, v);
    }
    if (const uint32_t e = it->exptime(); e != 0) {
      Lru& l = s.lru[cls];
      ++l.ttl_items;
      l.earliest_exptime = std::min(l.earliest_exptime, e);
    }
    // Release: a page mover reads kLinked with acquire and then the key without the shard lock.
    it->Bits().fetch_or(kLinked, std::memory_order_release);
    const Footprint f = FootprintOf(it);
    ClassCounters& cc = CC(s, cls);
    ++cc.items;
    s.resident.store(s.resident.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    cc.bytes += f.chunk_bytes;
    cc.header += f.header;
    cc.payload += f.payload;
    if (it->Has(kHasCas)) ++cc.cas_items;
    if (counts_as_store) ++s.c.total_items;
  }

  // Removes `it` from index and policy and drops the linked state's reference. `evicted`: the
  // cache chose it to make room (the policy may remember it), rather than it leaving on its own.
  void Unlink(Shard& s, Item* it) { Unlink(s, it, base::HashKey(it->key())); }
  void Unlink(Shard& s, Item* it, uint64_t hash, bool evicted = false) {
    const Ref ref = RefOf(it);
    Ref* head = &s.buckets[Bucket(s, hash)];
    if (*head == ref) {
      *head = it->h.hnext;
    } else {
      Item* prev = ItemAt(*head);
      while (prev->h.hnext != ref) prev = ItemAt(prev->h.hnext);
      prev->h.hnext = it->h.hnext;
    }
    const int cls = ClassOf(it);
    PolicyRemove(s, it, cls, evicted);
    if (it->exptime() != 0) {
      assert(s.lru[cls].ttl_items > 0);  // every exptime change of a linked item is counted
      --s.lru[cls].ttl_items;
    }
    it->Clear(kLinked);
    const Footprint f = FootprintOf(it);
    ClassCounters& cc = CC(s, cls);
    --cc.items;
    s.resident.store(s.resident.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    cc.bytes -= f.chunk_bytes;
    cc.header -= f.header;
    cc.payload -= f.payload;
    if (it->Has(kHasCas)) --cc.cas_items;
    DecRef(it);
  }

  void Replace(Shard& s, Item* old_it, Item* new_it, uint64_t hash, bool counts_as_store = true) {
    Unlink(s, old_it, hash);
    Link(s, new_it, hash, counts_as_store);
  }

  // Flushing is eager (one pass per shard), so flushed items give their memory back here and are
  // counted as reclaimed, which is what memcached reports once it reuses their memory.
  // The index, not the policy, is walked: it holds every linked item under any policy.
  void FlushShard(Shard& s) {
    for (uint32_t b = 0; b <= s.bucket_mask; ++b) {
      while (s.buckets[b] != kNullRef) {
        Item* it = ItemAt(s.buckets[b]);
        const int cls = ClassOf(it);
        ++s.c.reclaimed;
        ++CC(s, cls).reclaimed;
        Unlink(s, it);
      }
    }
  }

  // memcached keeps oldest_live after it passes and hides every item whose time is <= it, so
  // items stored during the flush second itself are invisible too: the pending flush stays armed
  // through that whole second.
  void ApplyFlush(Shard& s, int64_t now) {
    if (s.flush_at != 0 && now >= s.flush_at) {
      if (now > s.flush_at) s.flush_at = 0;
      FlushShard(s);
    }
  }

  // A live item for `key`, or null; an expired one found on the way is unlinked (lazy expiry).
  Item* LookupLive(Shard& s, std::string_view key, uint64_t hash, int64_t now, bool is_get) {
    Item* it = Find(s, key, hash);
    if (it == nullptr) return nullptr;
    if (Expired(it, now)) {
      if (is_get) ++s.c.get_expired;
      CountReclaimed(s, ClassOf(it), it);
      Unlink(s, it);
      return nullptr;
    }
    return it;
  }

  void FillInfo(const Item* it, ItemInfo* info, int64_t now) const {
    info->flags = it->client_flags();
    info->cas = it->cas();
    info->exptime = it->exptime();
    info->value_size = it->value_size();
    info->last_access_ago = static_cast<uint16_t>(Now16(now) - it->h.atime);
    info->fetched_before = it->Has(kFetched);
    info->stale = it->Has(kStale);
    info->slab_class = static_cast<uint8_t>(ClassOf(it) + 1);  // memcached numbers from 1
    info->header_size = static_cast<uint32_t>(kItemHeaderSize + it->OptSize());
  }

  // Copies linked `it` into a new item that also has the optional fields `add` (lock dropped
  // while copying, `it` pinned; flags, exptime, CAS, access time and state bits carried over under
  // the lock) and replaces it in index and policy; `it` then points at the copy. Returns false if
  // the copy could not be made or the item changed meanwhile; `it` is set to null if it is no
  // longer linked. `lock` is held on return.
  bool Regrow(Shard& s, std::unique_lock<std::mutex>& lock, Item*& it, uint64_t hash, uint8_t add,
              int64_t now) {
    const uint64_t cas = it->cas();
    const uint32_t flags = it->client_flags();
    const uint8_t fields = static_cast<uint8_t>(add | (it->layout() & (kHasExptime | kHasCas)));
    it->Refs().fetch_add(1, std::memory_order_relaxed);
    lock.unlock();
    Item* copy = AllocItem(ShardIndex(hash), it->key(), it->value_size(), flags, 0, fields, now);
    if (copy != nullptr) CopyValueTo(it, copy, 0);
    lock.lock();
    ApplyFlush(s, now);
    // Value bytes change in place only on items with a CAS field, and then with their CAS.
    if (copy != nullptr && it->Has(kLinked) && it->cas() == cas) {
      if (it->Has(kHasExptime)) copy->set_exptime(it->exptime());
      // A CAS field the original lacked gets a fresh CAS: none was handed out for this version.
      if (copy->Has(kHasCas)) copy->set_cas(it->Has(kHasCas) ? cas : NextCas(s, ShardIndex(hash)));
      copy->h.atime = it->h.atime;
      copy->Set(it->layout() & (kFetched | kStale | kWinSent));
      Replace(s, it, copy, hash, /*counts_as_store=*/false);
      DecRef(it);
      it = copy;
      return true;
    }
    if (copy != nullptr) DecRef(copy);
    Item* pinned = it;
    if (!it->Has(kLinked)) it = nullptr;
    DecRef(pinned);
    return false;
  }

  // Gives `it` a new exptime, through a copy (Regrow) if it has no room for one. Same contract
  // as Regrow.
  bool SetExptime(Shard& s, std::unique_lock<std::mutex>& lock, Item*& it, uint64_t hash,
                  uint32_t exptime, int64_t now) {
    if (!it->Has(kHasExptime)) {
      if (exptime == 0) return true;
      if (!Regrow(s, lock, it, hash, kHasExptime, now)) return false;
    }
    // The item is linked: keep its list's TTL count in step (the crawler skips lists at 0).
    Lru& l = s.lru[ClassOf(it)];
    if (it->exptime() != 0) --l.ttl_items;
    if (exptime != 0) {
      ++l.ttl_items;
      l.earliest_exptime = std::min(l.earliest_exptime, exptime);
    }
    it->set_exptime(exptime);
    return true;
  }

  // The first time this version's CAS is handed out: a CAS field (through a copy) holding a fresh
  // CAS from the counter. Same contract as Regrow.
  bool EnsureCas(Shard& s, std::unique_lock<std::mutex>& lock, Item*& it, uint64_t hash,
                 int64_t now) {
    if (it->Has(kHasCas)) return true;
    if (!Regrow(s, lock, it, hash, kHasCas, now)) return false;
    ++s.c.cas_copies;
    return true;
  }

  // ---- expiry crawler ----

  // Walks class `cls`'s list of `s` from the tail, kCrawlSlice items per lock hold, unlinking
  // expired items that only the linked state references. A pinned one is left for a later pass,
  // as memcached's crawler does: its memory would stay held by the reader anyway, so unlinking it
  // now would count it reclaimed before anything is reusable.
  size_t CrawlList(Shard& s, int cls, size_t* budget) {
    std::unique_lock lock(s.mu);
    Lru& l = s.lru[cls];
    if (!Due(l, Now()) || s.cc[cls].items == 0) return 0;
    // Items bumped or stored meanwhile are relinked at the head, ahead of the walk: bounding the
    // walk by the list's length now keeps a busy list from holding the crawler forever.
    size_t left = std::min<uint64_t>(*budget, s.cc[cls].items);
    size_t reclaimed = 0;
    l.crawling = true;
    l.disturbed = false;
    ItemPolicyView v = View();
    l.crawl = l.policy.First(v);
    // Items linked or given a TTL while the lock is released lower the fresh bound themselves;
    // the walk adds every item it leaves linked. An unfinished walk keeps the old bound too.
    const uint32_t old_earliest = l.earliest_exptime;
    l.earliest_exptime = UINT32_MAX;
    uint32_t seen_earliest = UINT32_MAX;
    for (;;) {
      const int64_t now = Now();
      ApplyFlush(s, now);  // a pending flush that has come due empties the list first
      for (size_t n = 0; n < kCrawlSlice && left > 0 && l.crawl != kNullRef; ++n) {
        Item* it = ItemAt(l.crawl);
        l.crawl = l.policy.Next(l.crawl, v);
        --left;
        --*budget;
        if (!Expired(it, now) || it->Refs().load(std::memory_order_acquire) != 1) {
          if (const uint32_t e = it->exptime(); e != 0) seen_earliest = std::min(seen_earliest, e);
          continue;
        }
        CountReclaimed(s, cls, it);
        ++s.c.crawler_reclaimed;
        Unlink(s, it);
        ++reclaimed;
      }
      if (left == 0 || l.crawl == kNullRef || l.ttl_items == 0) break;
      // Let workers waiting for this shard in; the cursor stays valid (PolicyRemove moves it).
      lock.unlock();
      lock.lock();
    }
    // Only a walk that passed the head saw every item: items move only towards the head (Bump),
    // never from ahead of the cursor to behind it.
    const bool whole = (l.crawl == kNullRef && !l.disturbed) || l.ttl_items == 0;
    l.earliest_exptime =
        std::min({l.earliest_exptime, seen_earliest, whole ? UINT32_MAX : old_earliest});
    l.crawling = false;
    l.crawl = kNullRef;
    return reclaimed;
  }

  // Under CLOCK (items are on no list): walks the shard's index, kCrawlSlice buckets per lock
  // hold, unlinking expired items as CrawlList does, and renews every class's expiry bound.
  size_t CrawlIndex(Shard& s, size_t* budget) {
    std::unique_lock lock(s.mu);
    size_t reclaimed = 0;
    // As in CrawlList: items linked or given a TTL meanwhile lower the fresh bounds themselves.
    for (int cls = 0; cls < num_classes; ++cls) {
      crawl_old_earliest[cls] = s.lru[cls].earliest_exptime;
      crawl_seen_earliest[cls] = UINT32_MAX;
      s.lru[cls].earliest_exptime = UINT32_MAX;
    }
    uint32_t b = 0;
    for (;;) {
      const int64_t now = Now();
      ApplyFlush(s, now);
      for (size_t n = 0; n < kCrawlSlice && b <= s.bucket_mask && *budget > 0; ++n, ++b) {
        for (Ref r = s.buckets[b]; r != kNullRef;) {
          Item* it = ItemAt(r);
          r = it->h.hnext;
          if (*budget > 0) --*budget;
          const int cls = ClassOf(it);
          if (!Expired(it, now) || it->Refs().load(std::memory_order_acquire) != 1) {
            if (const uint32_t e = it->exptime(); e != 0) {
              crawl_seen_earliest[cls] = std::min(crawl_seen_earliest[cls], e);
            }
            continue;
          }
          CountReclaimed(s, cls, it);
          ++s.c.crawler_reclaimed;
          Unlink(s, it);
          ++reclaimed;
        }
      }
      if (b > s.bucket_mask || *budget == 0) break;
      lock.unlock();
      lock.lock();
    }
    const bool whole = b > s.bucket_mask;
    for (int cls = 0; cls < num_classes; ++cls) {
      uint32_t& e = s.lru[cls].earliest_exptime;
      e = std::min({e, crawl_seen_earliest[cls], whole ? UINT32_MAX : crawl_old_earliest[cls]});
    }
    return reclaimed;
  }

  static bool Due(const Lru& l, int64_t now) {
    return l.ttl_items != 0 && static_cast<int64_t>(l.earliest_exptime) <= now;
  }

  size_t Crawl(size_t max_items) {
    std::lock_guard crawl_lock(crawl_mu);
    crawler_runs.fetch_add(1, std::memory_order_relaxed);
    size_t budget = max_items;
    size_t reclaimed = 0;
    std::vector<int> ttl_classes;
    for (uint32_t i = 0; i <= shard_mask && budget > 0; ++i) {
      Shard& s = shards[i];
      ttl_classes.clear();
      {
        // One short lock per shard finds the lists worth walking; most hold no TTL items.
        std::lock_guard lock(s.mu);
        const int64_t now = Now();
        for (int cls = 0; cls < num_classes; ++cls) {
          if (Due(s.lru[cls], now)) ttl_classes.push_back(cls);
        }
      }
      if (clock_policy) {
        if (!ttl_classes.empty()) reclaimed += CrawlIndex(s, &budget);
        continue;
      }
      for (int cls : ttl_classes) {
        if (budget == 0) break;
        reclaimed += CrawlList(s, cls, &budget);
      }
    }
    return reclaimed;
  }

  void CrawlerLoop() {
    const auto interval = std::chrono::milliseconds(config.crawler_interval_ms);
    std::unique_lock lock(crawler_wake_mu);
    while (!crawler_wake.wait_for(lock, interval, [this] { return crawler_stop; })) {
      lock.unlock();
      Crawl(SIZE_MAX);
      // The crawler frees but never allocates: its slab bins would only hold chunks back.
      slabs->FlushThreadCache();
      lock.lock();
    }
  }
};

// ---- ItemRef ----

ItemRef::ItemRef(ItemRef&& other) noexcept
    : store_(other.store_), item_(other.item_), copied_(other.copied_) {
  other.store_ = nullptr;
  other.item_ = nullptr;
  other.copied_ = false;
}

ItemRef& ItemRef::operator=(ItemRef&& other) noexcept {
  if (this != &other) {
    Reset();
    store_ = other.store_;
    item_ = other.item_;
    copied_ = other.copied_;
    other.store_ = nullptr;
    other.item_ = nullptr;
    other.copied_ = false;
  }
  return *this;
}

ItemRef::~ItemRef() { Reset(); }

void ItemRef::Reset() {
  if (item_ == nullptr) return;
  if (copied_) {
    delete static_cast<CopiedItem*>(item_);
  } else {
    store_->Release(item_);
  }
  item_ = nullptr;
  store_ = nullptr;
  copied_ = false;
}

std::string_view ItemRef::key() const {
  if (copied_) return static_cast<const CopiedItem*>(item_)->key;
  return static_cast<const Item*>(item_)->key();
}

size_t ItemRef::value_size() const {
  if (copied_) return static_cast<const CopiedItem*>(item_)->value.size();
  return static_cast<const Item*>(item_)->value_size();
}

void ItemRef::AppendValue(std::vector<iovec>* out) const {
  if (copied_) {
    auto& v = static_cast<CopiedItem*>(item_)->value;
    out->push_back({v.data(), v.size()});
    return;
  }
  store_->impl_->ForEachPiece(static_cast<const Item*>(item_), [&](char* data, size_t len) {
    out->push_back({data, len});
  });
}

void ItemRef::CopyValue(char* dst) const {
  if (copied_) {
    auto& v = static_cast<const CopiedItem*>(item_)->value;
    std::memcpy(dst, v.data(), v.size());
    return;
  }
  store_->impl_->ForEachPiece(static_cast<const Item*>(item_), [&](char* data, size_t len) {
    std::memcpy(dst, data, len);
    dst += len;
  });
}

// ---- Store ----

Store::Store(const StoreConfig& config) : impl_(std::make_unique<Impl>(config)) {}
Store::~Store() = default;

const StoreConfig& Store::config() const { return impl_->config; }

const std::string& Store::page_source_warning() const { return impl_->page_source_warning; }

void Store::Release(void* item) { impl_->DecRef(static_cast<Item*>(item)); }

size_t Store::CrawlExpired(size_t max_items) { return impl_->Crawl(max_items); }

void Store::FlushThreadCache() { impl_->slabs->FlushThreadCache(); }

size_t Store::SetEffectiveLimit(size_t bytes) {
  Impl& m = *impl_;
  // At least one page beyond the fixed part, at most -m.
  const size_t floor = m.fixed_bytes + m.slabs->page_size();
  const size_t limit =
      std::clamp(bytes, std::min(floor, m.config.memory_limit), m.config.memory_limit);
  m.effective_limit.store(limit, std::memory_order_relaxed);
  m.slabs->SetTargetPages(static_cast<uint32_t>(m.PagesFor(limit)));
  return limit;
}

size_t Store::effective_limit() const {
  return impl_->effective_limit.load(std::memory_order_relaxed);
}

size_t Store::budget_in_use() const {
  return size_t{impl_->slabs->pages_live()} * impl_->slabs->page_size() + impl_->fixed_bytes;
}

size_t Store::ReleasePages(size_t max_pages) { return impl_->ReleasePages(max_pages); }

void Store::PurgePageSource() { impl_->slabs->page_source().Purge(); }


size_t Store::MaxValueSize(size_t key_size) const {
  const size_t fixed = kMemcachedItemOverhead + key_size;
  return impl_->config.max_item_size > fixed ? impl_->config.max_item_size - fixed : 0;
}

namespace {
bool TooLarge(const StoreConfig& cfg, size_t nkey, size_t vlen, uint32_t flags) {
  return kMemcachedItemOverhead + nkey + vlen + (flags != 0 ? 4 : 0) > cfg.max_item_size ||
         vlen > 0xFFFFFFF0u;
}
}  // namespace

GetResult Store::Get(const GetArgs& args) {
  Impl& m = *impl_;
  GetResult res;
  if (args.key.empty() || args.key.size() > kMaxKey) return res;
  const uint64_t hash = base::HashKey(args.key);
  const uint32_t si = m.ShardIndex(hash);
  Shard& s = m.shards[si];
  const int64_t now = m.Now();
  std::unique_lock lock(s.mu);
  m.ApplyFlush(s, now);
  ++s.c.cmd_get;
  if (args.touch_exptime) ++s.c.cmd_touch;
  Item* it = m.LookupLive(s, args.key, hash, now, true);
  if (it == nullptr) {
    if (args.touch_exptime) {
      ++s.c.touch_misses;
    } else {
      ++s.c.get_misses;
    }
    if (!args.vivify_exptime) return res;
    // meta N: create an empty item; this caller wins the right to fill it.
    lock.unlock();
    const uint32_t exp = AbsExptime(*args.vivify_exptime, now);
    Item* fresh = m.AllocItem(si, args.key, 0, 0, exp, Impl::CasField(args.want_cas, 0), now);
    if (fresh == nullptr) return res;
    lock.lock();
    m.ApplyFlush(s, now);
    it = m.LookupLive(s, args.key, hash, now, false);
    if (it == nullptr) {
      m.AssignCas(s, si, fresh, 0);
      fresh->Set(kWinSent);
      m.Link(s, fresh, hash);
      m.FillInfo(fresh, &res.info, now);
      res.info.win = true;
      res.status = OpStatus::kOk;
      res.created = true;
      if (args.want_ref) {
        fresh->Refs().fetch_add(1, std::memory_order_relaxed);
        res.ref = ItemRef(this, fresh);
      }
      return res;
    }
    m.DecRef(fresh);  // lost the race: someone else created it, serve theirs
  }
  // The first CAS handed out for this version: a copy with a CAS field. If the item changed
  // meanwhile, serve what is linked now; if memory ran out, serve it with CAS 0 (a `cas` with it
  // fails as against a newer version).
  for (int attempt = 0; args.want_cas && attempt < 4 && !m.EnsureCas(s, lock, it, hash, now);
       ++attempt) {
    it = m.LookupLive(s, args.key, hash, now, false);
    if (it == nullptr) {
      ++s.c.get_misses;
      return res;
    }
  }
  m.FillInfo(it, &res.info, now);
  const int cls = m.ClassOf(it);
  if (args.touch_exptime) {
    ++m.CC(s, cls).touch_hits;
    const uint32_t exp = AbsExptime(*args.touch_exptime, now);
    if (m.SetExptime(s, lock, it, hash, exp, now)) res.info.exptime = exp;
    // SetExptime may have dropped the lock: a concurrent delete can have unlinked the item.
    if (it == nullptr) return GetResult{};
  } else {
    ++m.CC(s, cls).get_hits;
  }
  const bool win_sent = it->Has(kWinSent);
  if (it->Has(kStale) || (args.recache_below && it->exptime() != 0 &&
                          static_cast<int64_t>(it->exptime()) - now < *args.recache_below)) {
    if (!win_sent) {
      res.info.win = true;
      it->Set(kWinSent);
    }
  }
  res.info.win_sent_before = win_sent;
  if (args.bump) {
    m.Bump(s, it, hash, now);
    it->Set(kFetched);
  }
  res.status = OpStatus::kOk;
  if (args.want_ref) {
    if (it->Refs().load(std::memory_order_relaxed) < kMaxRefs) {
      it->Refs().fetch_add(1, std::memory_order_relaxed);
      res.ref = ItemRef(this, it);
    } else {
      // 8-bit count nearly full (hundreds of writes in flight on one item): hand out a copy.
      auto* copy = new CopiedItem{std::string(it->key()), std::string(it->value_size(), '\0')};
      ItemRef tmp(this, it);  // borrow only to reuse CopyValue, never released
      tmp.CopyValue(copy->value.data());
      tmp.item_ = nullptr;
      res.ref = ItemRef(this, copy, true);
    }
  }
  return res;
}

// The write sample names the operation by StoreMode's order.
static_assert(static_cast<int>(StoreMode::kPrepend) ==
              static_cast<int>(base::ItemWriteOp::kPrepend));

StoreResult Store::Set(const StoreArgs& args) {
  const StoreResult res = StoreItem(args);
  if (res.status == OpStatus::kOk) {
    const base::ItemWriteOp op =
        args.compare_cas != 0 ? base::ItemWriteOp::kCas : static_cast<base::ItemWriteOp>(args.mode);
    base::SampleItemWrite(args.key, args.key.size() + args.value.size(), op);
  }
  return res;
}

StoreResult Store::StoreItem(const StoreArgs& args) {
  Impl& m = *impl_;
  StoreResult res;
  if (args.key.empty() || args.key.size() > kMaxKey) {
    res.status = OpStatus::kNotStored;
    return res;
  }
  const bool concat = args.mode == StoreMode::kAppend || args.mode == StoreMode::kPrepend;
  const uint64_t hash = base::HashKey(args.key);
  const uint32_t si = m.ShardIndex(hash);
  Shard& s = m.shards[si];
  const int64_t now = m.Now();
  // memcached process_update_command: when a plain set cannot be stored (too large, no memory)
  // the old value is unlinked too, so that a client never reads data older than its failed set.
  const auto drop_old_on_failed_set = [&] {
    if (args.mode == StoreMode::kSet && args.compare_cas == 0) Discard(args.key);
  };
  if (TooLarge(m.config, args.key.size(), args.value.size(), concat ? 0 : args.flags)) {
    drop_old_on_failed_set();
    {
      std::lock_guard lock(s.mu);
      ++s.c.store_too_large;
    }
    res.status = OpStatus::kTooLarge;
    return res;
  }

  if (concat) {
    // memcached: append/prepend keep the old item's flags and exptime; a CAS other than the
    // live one is EXISTS; a missing item is NOT_STORED unless meta N vivifies it.
    for (int attempt = 0; attempt < 8; ++attempt) {
      std::unique_lock lock(s.mu);
      m.ApplyFlush(s, now);
      ++s.c.cmd_set;
      Item* old = m.LookupLive(s, args.key, hash, now, false);
      if (old == nullptr) {
        if (!args.vivify_exptime) {
          res.status = OpStatus::kNotStored;
          return res;
        }
        lock.unlock();
        Item* fresh = m.AllocItem(si, args.key, args.value.size(), args.flags,
                                  AbsExptime(*args.vivify_exptime, now),
                                  Impl::CasField(args.want_cas, args.new_cas), now);
        if (fresh == nullptr) {
          res.status = OpStatus::kNotStored;
          return res;
        }
        m.WriteValue(fresh, 0, args.value);
        lock.lock();
        m.ApplyFlush(s, now);
        if (m.LookupLive(s, args.key, hash, now, false) != nullptr) {
          m.DecRef(fresh);
          continue;
        }
        m.AssignCas(s, si, fresh, args.new_cas);
        ++m.CC(s, m.ClassOf(fresh)).cmd_set;
        m.Link(s, fresh, hash);
        res.status = OpStatus::kOk;
        res.cas = fresh->cas();
        return res;
      }
      if (args.compare_cas != 0 && args.compare_cas != old->cas()) {
        res.status = OpStatus::kExists;
        return res;
      }
      const uint64_t old_cas = old->cas();
      const size_t old_len = old->value_size();
      if (kMemcachedItemOverhead + args.key.size() + old_len + args.value.size() +
              (old->client_flags() != 0 ? 4 : 0) >
          m.config.max_item_size) {
        res.status = OpStatus::kNotStored;  // memcached: the combined alloc fails -> NOT_STORED
        return res;
      }
      old->Refs().fetch_add(1, std::memory_order_relaxed);
      const uint32_t flags = old->client_flags();
      const uint32_t exp = old->exptime();
      lock.unlock();
      Item* fresh = m.AllocItem(si, args.key, old_len + args.value.size(), flags, exp,
                                Impl::CasField(args.want_cas, args.new_cas), now);
      if (fresh != nullptr) {
        if (args.mode == StoreMode::kAppend) {
          m.CopyValueTo(old, fresh, 0);
          m.WriteValue(fresh, old_len, args.value);
        } else {
          m.WriteValue(fresh, 0, args.value);
          m.CopyValueTo(old, fresh, args.value.size());
        }
      }
      lock.lock();
      if (fresh == nullptr) {
        m.DecRef(old);
        res.status = OpStatus::kNotStored;
        return res;
      }
      if (!m.StillCurrent(old, old_cas, fresh)) continue;
      m.AssignCas(s, si, fresh, args.new_cas);
      ++m.CC(s, m.ClassOf(fresh)).cmd_set;
      m.Replace(s, old, fresh, hash);
      m.DecRef(old);
      res.status = OpStatus::kOk;
      res.cas = fresh->cas();
      return res;
    }
    res.status = OpStatus::kNotStored;
    return res;
  }

  const uint32_t exp = AbsExptime(args.exptime, now);
  const uint8_t fields = static_cast<uint8_t>((args.invalidate ? kHasExptime : 0) |
                                              Impl::CasField(args.want_cas, args.new_cas));
  Item* fresh = m.AllocItem(si, args.key, args.value.size(), args.flags, exp, fields, now);
  if (fresh == nullptr) {
    {
      std::lock_guard lock(s.mu);
      ++s.c.cmd_set;
      ++s.c.store_no_memory;
      const int cls =
          m.slabs->classes().ClassFor(kItemHeaderSize + 8 + args.key.size() + args.value.size());
      ++m.CC(s, cls < 0 ? m.slabs->classes().largest() : cls).outofmemory;
    }
    drop_old_on_failed_set();
    res.status = OpStatus::kNoMemory;
    return res;
  }
  m.WriteValue(fresh, 0, args.value);

  std::unique_lock lock(s.mu);
  m.ApplyFlush(s, now);
  ++s.c.cmd_set;
  ClassCounters& cc = m.CC(s, m.ClassOf(fresh));
  ++cc.cmd_set;
  Item* old = m.LookupLive(s, args.key, hash, now, false);
  const bool is_cas = args.mode == StoreMode::kSet && args.compare_cas != 0;
  bool store = false;
  if (old != nullptr) {
    ClassCounters& occ = m.CC(s, m.ClassOf(old));
    switch (args.mode) {
      case StoreMode::kAdd:
        m.Bump(s, old, hash, now);  // memcached: add on a live item promotes it
        res.status = OpStatus::kNotStored;
        break;
      case StoreMode::kReplace:
        store = true;
        break;
      default:
        if (!is_cas) {
          store = true;
        } else if (args.compare_cas == old->cas()) {
          ++occ.cas_hits;
          store = true;
        } else if (args.invalidate && Impl::CasOlderThan(args.compare_cas, old)) {
          // A stale writer may still fill the item: keep the TTL and win token, mark stale.
          ++occ.cas_hits;
          fresh->set_exptime(old->exptime());
          fresh->Set(kStale | (old->layout() & kWinSent));
          store = true;
        } else {
          ++occ.cas_badval;
          res.status = OpStatus::kExists;
        }
        break;
    }
  } else if (args.mode == StoreMode::kReplace) {
    res.status = OpStatus::kNotStored;
  } else if (is_cas) {
    ++s.c.cas_misses;
    res.status = OpStatus::kNotFound;
  } else {
    store = true;
  }
  if (!store) {
    m.DecRef(fresh);
    return res;
  }
  m.AssignCas(s, si, fresh, args.new_cas);
  if (old != nullptr) {
    m.Replace(s, old, fresh, hash);
  } else {
    m.Link(s, fresh, hash);
  }
  res.status = OpStatus::kOk;
  res.cas = fresh->cas();
  return res;
}

void Store::Discard(std::string_view key) {
  Impl& m = *impl_;
  if (key.empty() || key.size() > kMaxKey) return;
  const uint64_t hash = base::HashKey(key);
  Shard& s = m.shards[m.ShardIndex(hash)];
  std::lock_guard lock(s.mu);
  if (Item* old = m.Find(s, key, hash)) m.Unlink(s, old);
}

OpStatus Store::Delete(const DeleteArgs& args) {
  Impl& m = *impl_;
  if (args.key.empty() || args.key.size() > kMaxKey) return OpStatus::kNotFound;
  const uint64_t hash = base::HashKey(args.key);
  const uint32_t si = m.ShardIndex(hash);
  Shard& s = m.shards[si];
  const int64_t now = m.Now();
  std::unique_lock lock(s.mu);
  m.ApplyFlush(s, now);
  // An invalidation that needs a copy of the item (a new TTL or a named CAS it has no field for)
  // starts over when the item changed while it was copied.
  for (int attempt = 0; attempt < 8; ++attempt) {
    Item* it = m.LookupLive(s, args.key, hash, now, false);
    if (it == nullptr) {
      ++s.c.delete_misses;
      return OpStatus::kNotFound;
    }
    if (args.compare_cas != 0 && args.compare_cas != it->cas()) return OpStatus::kExists;
    if (!args.invalidate) {
      ++m.CC(s, m.ClassOf(it)).delete_hits;
      m.Unlink(s, it);
      return OpStatus::kOk;
    }
    // meta md I: keep the item as stale so one client wins the right to recache it.
    if (args.new_exptime &&
        !m.SetExptime(s, lock, it, hash, AbsExptime(*args.new_exptime, now), now)) {
      continue;
    }
    if (args.new_cas != 0 && !m.EnsureCas(s, lock, it, hash, now)) continue;
    ++m.CC(s, m.ClassOf(it)).delete_hits;
    it->Set(kStale);
    it->Clear(kWinSent);
    m.AssignCas(s, si, it, args.new_cas);
    return OpStatus::kOk;
  }
  return OpStatus::kNoMemory;
}

ArithResult Store::Arith(const ArithArgs& args) {
  Impl& m = *impl_;
  ArithResult res;
  if (args.key.empty() || args.key.size() > kMaxKey) return res;
  const uint64_t hash = base::HashKey(args.key);
  const uint32_t si = m.ShardIndex(hash);
  Shard& s = m.shards[si];
  const int64_t now = m.Now();
  char buf[24];
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::unique_lock lock(s.mu);
    m.ApplyFlush(s, now);
    Item* it = m.LookupLive(s, args.key, hash, now, false);
    if (it == nullptr) {
      if (args.incr) {
        ++s.c.incr_misses;
      } else {
        ++s.c.decr_misses;
      }
      if (!args.create) {
        res.status = OpStatus::kNotFound;
        return res;
      }
      lock.unlock();
      const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), args.initial);
      const std::string_view text(buf, end - buf);
      // Counters carry their CAS field from the start: incr reports the CAS (binary, meta c)
      // and rewrites in place only items with one.
      Item* fresh = m.AllocItem(si, args.key, text.size(), 0, AbsExptime(args.create_exptime, now),
                                kHasCas, now);
      if (fresh == nullptr) {
        res.status = OpStatus::kNoMemory;
        return res;
      }
      m.WriteValue(fresh, 0, text);
      lock.lock();
      m.ApplyFlush(s, now);
      if (m.LookupLive(s, args.key, hash, now, false) != nullptr) {
        m.DecRef(fresh);
        continue;
      }
      m.AssignCas(s, si, fresh, args.new_cas);
      m.Link(s, fresh, hash);
      res.status = OpStatus::kOk;
      res.value = args.initial;
      res.cas = fresh->cas();
      res.created = true;
      m.FillInfo(fresh, &res.info, now);
      return res;
    }
    if (args.compare_cas != 0 && args.compare_cas != it->cas()) {
      res.status = OpStatus::kExists;
      return res;
    }
    const size_t old_len = it->value_size();
    uint64_t value = 0;
    if (old_len == 0 || it->Has(kChained) ||
        !ParseU64(std::string_view(it->value_ptr(), old_len), &value)) {
      res.status = OpStatus::kNonNumeric;
      return res;
    }
    if (args.incr) {
      value += args.delta;  // wraps modulo 2^64, as memcached
    } else {
      value = args.delta > value ? 0 : value - args.delta;
    }
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    const size_t len = static_cast<size_t>(end - buf);
    ClassCounters& cc = m.CC(s, m.ClassOf(it));
    if (args.touch_exptime) {
      // A failed copy means the item changed while unlocked: recompute from the new state.
      if (!m.SetExptime(s, lock, it, hash, AbsExptime(*args.touch_exptime, now), now)) continue;
    }
    // memcached do_add_delta rewrites in place, padded with spaces to the old length, when the
    // result fits and nobody else holds the item. Here in place needs a CAS field too (a copy made
    // meanwhile without the lock, by Regrow or append, notices the rewrite by the CAS it changes);
    // an item without one is copied into one that has, padded the same way.
    const bool fits = len <= old_len && it->Refs().load(std::memory_order_acquire) == 1;
    const size_t vlen = fits ? old_len : len;
    const auto write_padded = [&](Item* dst) {  // the digits, then spaces up to vlen
      size_t off = 0;
      m.ForEachPiece(dst, [&](char* data, size_t n) {
        const size_t digits = off < len ? std::min(n, len - off) : 0;
        if (digits != 0) std::memcpy(data, buf + off, digits);
        std::memset(data + digits, ' ', n - digits);
        off += n;
      });
    };
    if (fits && it->Has(kHasCas)) {
      write_padded(it);
      it->set_cas(m.MutationCas(s, si, args.new_cas));
      m.Bump(s, it, hash, now);
    } else {
      const uint64_t old_cas = it->cas();
      it->Refs().fetch_add(1, std::memory_order_relaxed);
      const uint32_t flags = it->client_flags();
      const uint32_t exp = it->exptime();
      lock.unlock();
      Item* fresh = m.AllocItem(si, args.key, vlen, flags, exp, kHasCas, now);
      if (fresh != nullptr) write_padded(fresh);
      lock.lock();
      if (fresh == nullptr) {
        m.DecRef(it);
        res.status = OpStatus::kNoMemory;
        return res;
      }
      if (!m.StillCurrent(it, old_cas, fresh)) continue;
      m.AssignCas(s, si, fresh, args.new_cas);
      m.Replace(s, it, fresh, hash);
      m.DecRef(it);
      it = fresh;
    }
    if (args.incr) {
      ++cc.incr_hits;
    } else {
      ++cc.decr_hits;
    }
    res.status = OpStatus::kOk;
    res.value = value;
    res.cas = it->cas();
    m.FillInfo(it, &res.info, now);
    return res;
  }
  res.status = OpStatus::kNotFound;
  return res;
}

OpStatus Store::Touch(std::string_view key, int64_t exptime) {
  Impl& m = *impl_;
  if (key.empty() || key.size() > kMaxKey) return OpStatus::kNotFound;
  const uint64_t hash = base::HashKey(key);
  Shard& s = m.ShardFor(hash);
  const int64_t now = m.Now();
  std::unique_lock lock(s.mu);
  m.ApplyFlush(s, now);
  ++s.c.cmd_touch;
  Item* it = m.LookupLive(s, key, hash, now, false);
  if (it == nullptr) {
    ++s.c.touch_misses;
    return OpStatus::kNotFound;
  }
  ++m.CC(s, m.ClassOf(it)).touch_hits;
  if (!m.SetExptime(s, lock, it, hash, AbsExptime(exptime, now), now)) {
    return it != nullptr ? OpStatus::kNoMemory : OpStatus::kOk;
  }
  m.Bump(s, it, hash, now);
  it->Set(kFetched);
  return OpStatus::kOk;
}

void Store::Flush(int64_t delay_seconds) {
  Impl& m = *impl_;
  m.cmd_flush.fetch_add(1, std::memory_order_relaxed);
  const int64_t now = m.Now();
  // memcached process_flush_all_command: oldest_live = realtime(delay) - 1, i.e. the flush takes
  // effect one second before now + delay; a delay over 30 days is an absolute time.
  int64_t at = 0;
  if (delay_seconds > 0) {
    at = static_cast<int64_t>(AbsExptime(delay_seconds, now)) - 1;
    if (at <= now) at = 0;
  }
  for (uint32_t i = 0; i <= m.shard_mask; ++i) {
    Shard& s = m.shards[i];
    std::lock_guard lock(s.mu);
    if (at == 0) {
      s.flush_at = 0;
      m.FlushShard(s);
    } else {
      s.flush_at = at;  // replaces any pending flush
    }
  }
}

StoreStats Store::Stats() const {
  Impl& m = *impl_;
  StoreStats st;
  const int64_t now = m.Now();
  std::vector<ClassStats> classes(m.num_classes);
  std::vector<int64_t> evicted_at(m.num_classes, 0);
  for (uint32_t i = 0; i <= m.shard_mask; ++i) {
    Shard& s = m.shards[i];
    std::lock_guard lock(s.mu);
    const auto locked_at = std::chrono::steady_clock::now();
    m.ApplyFlush(s, now);
    const ShardCounters& c = s.c;
    st.total_items += c.total_items;
    st.evictions += c.evictions;
    st.reclaimed += c.reclaimed;
    st.expired_unfetched += c.expired_unfetched;
    st.evicted_unfetched += c.evicted_unfetched;
    st.get_misses += c.get_misses;
    st.get_expired += c.get_expired;
    st.get_flushed += c.get_flushed;
    st.cmd_get += c.cmd_get;
    st.cmd_set += c.cmd_set;
    st.cmd_touch += c.cmd_touch;
    st.touch_misses += c.touch_misses;
    st.delete_misses += c.delete_misses;
    st.incr_misses += c.incr_misses;
    st.decr_misses += c.decr_misses;
    st.cas_misses += c.cas_misses;
    st.slab_reassign_evictions += c.slab_reassign_evictions;
    st.store_too_large += c.store_too_large;
    st.store_no_memory += c.store_no_memory;
    st.slab_reassign_busy_items += c.slab_reassign_busy_items;
    st.crawler_reclaimed += c.crawler_reclaimed;
    st.cas_copies += c.cas_copies;
    for (int cls = 0; cls < m.num_classes; ++cls) {
      ClassStats& cs = classes[cls];
      st.policy_bytes += s.lru[cls].policy.MetadataBytes();
      if (!s.lru[cls].policy.empty()) {
        Impl::ItemPolicyView v = m.View();
        const Item* tail = m.ItemAt(s.lru[cls].policy.First(v));
        cs.oldest_age =
            std::max<int64_t>(cs.oldest_age, static_cast<uint16_t>(m.Now16(now) - tail->h.atime));
      }
      const ClassCounters* cc = &s.cc[cls];
      cs.items += cc->items;
      cs.cas_items += cc->cas_items;
      cs.payload_bytes += cc->payload;
      cs.header_bytes += cc->header;
      cs.slack_bytes += cc->bytes - cc->payload - cc->header;
      cs.evicted += cc->evicted;
      cs.evicted_nonzero += cc->evicted_nonzero;
      cs.expired_unfetched += cc->expired_unfetched;
      cs.evicted_unfetched += cc->evicted_unfetched;
      cs.outofmemory += cc->outofmemory;
      cs.get_hits += cc->get_hits;
      cs.cmd_set += cc->cmd_set;
      cs.delete_hits += cc->delete_hits;
      cs.incr_hits += cc->incr_hits;
      cs.decr_hits += cc->decr_hits;
      cs.cas_hits += cc->cas_hits;
      cs.cas_badval += cc->cas_badval;
      cs.touch_hits += cc->touch_hits;
      if (cc->evicted > 0 && cc->evicted_at >= evicted_at[cls]) {
        evicted_at[cls] = cc->evicted_at;
        cs.evicted_time = cc->evicted_time;
      }
      st.bytes += cc->bytes;
    }
    const auto held = std::chrono::steady_clock::now() - locked_at;
    st.lock_hold_max_ns = std::max<uint64_t>(
        st.lock_hold_max_ns, std::chrono::duration_cast<std::chrono::nanoseconds>(held).count());
  }
  const auto& table = m.slabs->classes();
  for (int cls = 0; cls < m.num_classes; ++cls) {
    ClassStats& cs = classes[cls];
    const memory::SlabClassCounters sc = m.slabs->Counters(cls);
    st.curr_items += cs.items;
    st.cas_items += cs.cas_items;
    st.payload_bytes += cs.payload_bytes;
    st.header_bytes += cs.header_bytes;
    st.slack_bytes += cs.slack_bytes;
    st.get_hits += cs.get_hits;
    st.delete_hits += cs.delete_hits;
    st.incr_hits += cs.incr_hits;
    st.decr_hits += cs.decr_hits;
    st.cas_hits += cs.cas_hits;
    st.cas_badval += cs.cas_badval;
    st.touch_hits += cs.touch_hits;
    if (sc.pages == 0) continue;
    if (m.clock_policy) cs.oldest_age = m.ClockTailAge(cls, m.Now16(now));
    cs.id = static_cast<uint8_t>(cls + 1);  // memcached numbers classes from 1
    cs.chunk_size = table.chunk_size(cls);
    cs.chunks_per_page = table.chunks_per_page(cls);
    cs.total_pages = sc.pages;
    cs.used_chunks = sc.used_chunks;
    cs.free_chunks = sc.free_chunks;
    st.classes.push_back(cs);
  }
  st.limit_maxbytes = m.config.memory_limit;
  st.cmd_flush = m.cmd_flush.load(std::memory_order_relaxed);
  st.index_bytes = m.index_bytes;
  st.total_pages = m.slabs->pages_live();
  st.memory_limit_effective = m.effective_limit.load(std::memory_order_relaxed);
  st.pages_released = m.slabs->pages_released();
  st.pages_parked = m.slabs->pages_parked();
  st.page_size = m.slabs->page_size();
  st.malloced_bytes = st.total_pages * st.page_size;
  st.item_header_size = kItemHeaderSize + (m.clock_policy ? 0 : kLinksFieldSize);
  st.crawler_runs = m.crawler_runs.load(std::memory_order_relaxed);
  st.policy = m.config.policy;
  st.policy_live = m.config.policy;
  if (m.adaptive) {
    const policy::AdaptiveStats as = m.adaptive->Stats();
    st.policy_live = as.current.kind;
    st.policy_live_share = as.current.share;
    st.policy_switches = as.switches;
    st.policy_sample_rate = as.sample_rate;
    st.policy_scores = as.scores;
    st.policy_bytes += m.policy_reserve;
  }
  st.slabs_moved = m.slabs->pages_moved() - m.slabs_moved_base.load(std::memory_order_relaxed);
  st.page_source = m.slabs->page_source().kind();
  st.page_source_stats = m.slabs->page_source().Stats();
  return st;
}

void Store::ResetStats() {
  Impl& m = *impl_;
  m.cmd_flush.store(0, std::memory_order_relaxed);
  m.slabs_moved_base.store(m.slabs->pages_moved(), std::memory_order_relaxed);
  m.crawler_runs.store(0, std::memory_order_relaxed);
  for (uint32_t i = 0; i <= m.shard_mask; ++i) {
    Shard& s = m.shards[i];
    std::lock_guard lock(s.mu);
    s.c = ShardCounters{};
    for (int cls = 0; cls < m.num_classes; ++cls) {
      ClassCounters* cc = &s.cc[cls];
      // Items and bytes describe what is stored now, not what happened: they survive the reset.
      ClassCounters kept;
      kept.items = cc->items;
      kept.bytes = cc->bytes;
      kept.payload = cc->payload;
      kept.header = cc->header;
      kept.cas_items = cc->cas_items;
      *cc = kept;
    }
  }
}

void Store::VisitCounters(base::CounterVisitor& v) const {
  ReportStoreStats(Stats(), v);  // store_metrics.cc
  impl_->slabs->page_source().VisitCounters(v);
}

}  // namespace kmd::cache
