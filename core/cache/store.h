// The sharded RAM store: memcached's command semantics over slab-class item memory.
// Owns: shards (each: mutex, hash index segment, per-class policy lists, CAS counter), CLOCK's
// per-class hands over slab memory (policy "clock"), the item allocator's use, TTL and flush
// rules, accounting. Knows no protocol and no sockets.
// Thread-safety: every public method may be called from any thread concurrently. An ItemRef pins
// one item's memory (reference count) until it is destroyed, on any thread.
// Exptime arguments are in memcached's wire form: 0 = never, <= 30 days = relative seconds,
// > 30 days = absolute Unix time, negative = already expired.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/clock.h"
#include "core/base/counters.h"
#include "core/cache/policy/policy_kind.h"
#include "core/memory/page_source/page_source.h"

namespace kmd::cache {

enum class OpStatus : uint8_t {
  kOk,          // hit / stored / deleted / touched
  kNotFound,    // miss (memcached NOT_FOUND / KEY_ENOENT)
  kExists,      // CAS mismatch (EXISTS / KEY_EEXISTS)
  kNotStored,   // add on a live key; replace/append/prepend on a missing key
  kTooLarge,    // item larger than the item size limit (E2BIG / "object too large for cache")
  kNoMemory,    // nothing evictable to make room (ENOMEM / "out of memory storing object")
  kNonNumeric,  // incr/decr on a value that is not a decimal number (DELTA_BADVAL)
};

enum class StoreMode : uint8_t { kSet, kAdd, kReplace, kAppend, kPrepend };

struct StoreConfig {
  size_t memory_limit = 64u << 20;  // -m: everything items cost (pages, index) stays under it
  size_t max_item_size = 1u << 20;  // -I: key + value + item header
  size_t page_size = 1u << 20;      // slab page
  uint32_t shards = 64;             // power of two
  bool evictions = true;            // -M turns them off: a full store answers kNoMemory
  // Orders each shard's items per slab class (config eviction.policy).
  policy::PolicyKind policy = policy::PolicyKind::kAdaptive;
  // Where slab pages come from (config memory.allocator, memory.huge_pages). The Store throws
  // std::runtime_error naming the backend and the cause when the source cannot be made.
  memory::PageSourceKind page_source = memory::PageSourceKind::kArena;
  bool huge_pages = false;
  const base::Clock* clock = &base::SystemClock::Instance();
  // A background thread gives expired items' memory back every this many milliseconds (memcached's
  // LRU crawler); 0 = no thread, expired items go only lazily or via CrawlExpired(). The thread
  // runs only with the SystemClock: under another clock (tests) time moves when the caller moves
  // it, so a thread could only race the caller.
  uint32_t crawler_interval_ms = 1000;
};

// What a reader may know of an item besides key and value.
struct ItemInfo {
  uint32_t flags = 0;
  uint64_t cas = 0;     // 0 when the item has none yet and the caller did not ask (want_cas)
  int64_t exptime = 0;  // absolute Unix seconds, 0 = never
  uint32_t value_size = 0;
  uint32_t last_access_ago = 0;  // seconds since last access, before this access
  bool fetched_before = false;   // had been read before this access (meta h)
  bool stale = false;            // marked stale by an invalidation (meta X)
  bool win = false;              // this caller won the right to recache (meta W)
  bool win_sent_before = false;  // another caller already holds the win token (meta Z)
  uint8_t slab_class = 0;
  uint32_t header_size = 0;  // the item's header and optional fields (policy links, flags, ...)
};

class Store;

// Pins one item's memory so that a write can send the value straight from it (zero copy).
// Move-only; releases on destruction (any thread). A default-constructed ref is empty.
class ItemRef {
 public:
  ItemRef() = default;
  ItemRef(ItemRef&& other) noexcept;
  ItemRef& operator=(ItemRef&& other) noexcept;
  ItemRef(const ItemRef&) = delete;
  ItemRef& operator=(const ItemRef&) = delete;
  ~ItemRef();

  explicit operator bool() const { return item_ != nullptr; }
  std::string_view key() const;
  size_t value_size() const;
  // Appends the value as one iovec per contiguous piece (several for chained large items).
  void AppendValue(std::vector<iovec>* out) const;
  // Copies the value into `dst` (value_size() bytes).
  void CopyValue(char* dst) const;

 private:
  friend class Store;
  ItemRef(Store* store, void* item, bool copied = false)
      : store_(store), item_(item), copied_(copied) {}
  void Reset();
  Store* store_ = nullptr;
  void* item_ = nullptr;
  // Rare path: the item's 8-bit reference count was near its limit, so item_ is a private heap
  // copy of key and value (store.cc CopiedItem) instead of a pinned item.
  bool copied_ = false;
};

struct GetArgs {
  std::string_view key;
  bool bump = true;                       // refresh LRU position and access time (meta u: false)
  bool want_ref = true;                   // pin and return the item for its value
  // Report the item's CAS (gets, binary, meta c). An item that has none yet gets one now, through
  // a copy into a chunk with a CAS field (6 bytes): clients that never ask do not pay for it.
  bool want_cas = true;
  std::optional<int64_t> touch_exptime;   // gat / meta T: set a new exptime on hit
  std::optional<int64_t> vivify_exptime;  // meta N: on miss create an empty item, caller wins
  std::optional<uint32_t> recache_below;  // meta R: win if remaining TTL below this many seconds
};

struct GetResult {
  OpStatus status = OpStatus::kNotFound;
  ItemInfo info;
  ItemRef ref;           // set on hit when want_ref
  bool created = false;  // meta N created the item on this miss (status kOk with empty value)
};

struct StoreArgs {
  StoreMode mode = StoreMode::kSet;
  std::string_view key;
  std::string_view value;
  uint32_t flags = 0;
  int64_t exptime = 0;
  uint64_t compare_cas = 0;  // non-zero: store only if the live item's CAS equals it
  uint64_t new_cas = 0;      // non-zero: use as the item's CAS (meta E) instead of a fresh one
  bool invalidate = false;  // meta I with C: a CAS older than the item's marks it stale, not EXISTS
  // The caller reports the new item's CAS (binary responses, meta c): the item gets a CAS field.
  // Without it (text set, quiet binary sets) StoreResult::cas is 0 and the first reader who asks
  // for the CAS gets a fresh one (GetArgs::want_cas).
  bool want_cas = true;
  std::optional<int64_t> vivify_exptime;  // meta N for append/prepend: create on miss
};

struct StoreResult {
  OpStatus status = OpStatus::kNotStored;
  uint64_t cas = 0;  // CAS of the stored item (0 unless StoreArgs::want_cas)
};

struct DeleteArgs {
  std::string_view key;
  uint64_t compare_cas = 0;
  bool invalidate = false;             // meta I: mark stale (and set new TTL) instead of removing
  std::optional<int64_t> new_exptime;  // meta T with I
  uint64_t new_cas = 0;                // meta E
};

struct ArithArgs {
  std::string_view key;
  bool incr = true;
  uint64_t delta = 0;
  bool create = false;  // create with `initial` on miss (binary, meta N)
  uint64_t initial = 0;
  int64_t create_exptime = 0;
  uint64_t compare_cas = 0;
  uint64_t new_cas = 0;                  // meta E
  std::optional<int64_t> touch_exptime;  // meta T
};

struct ArithResult {
  OpStatus status = OpStatus::kNotFound;
  uint64_t value = 0;
  uint64_t cas = 0;
  ItemInfo info;
  bool created = false;
};

// Per slab class figures for `stats slabs` / `stats items`.
struct ClassStats {
  uint8_t id = 0;
  uint32_t chunk_size = 0;
  uint32_t chunks_per_page = 0;
  uint64_t total_pages = 0;
  uint64_t used_chunks = 0;
  uint64_t free_chunks = 0;
  uint64_t items = 0;
  uint64_t cas_items = 0;      // live items that carry a CAS field (one was handed out)
  uint64_t payload_bytes = 0;  // key + value bytes of live items
  uint64_t header_bytes = 0;   // item metadata bytes of live items
  uint64_t slack_bytes = 0;    // chunk bytes beyond header + key + value
  uint64_t evicted = 0;
  uint64_t evicted_nonzero = 0;
  uint64_t expired_unfetched = 0;
  uint64_t evicted_unfetched = 0;
  uint64_t outofmemory = 0;
  int64_t oldest_age = 0;  // seconds since last access of the LRU tail
  // memcached evicted_time: seconds between last access and eviction of the class's most recently
  // evicted item (how much idle time an item of this size gets before it is pushed out).
  int64_t evicted_time = 0;
  uint64_t get_hits = 0, cmd_set = 0, delete_hits = 0, incr_hits = 0, decr_hits = 0, cas_hits = 0,
           cas_badval = 0, touch_hits = 0;
};

struct StoreStats {
  uint64_t curr_items = 0, total_items = 0;
  uint64_t bytes = 0;  // memcached "bytes": chunk bytes of live items
  uint64_t limit_maxbytes = 0;
  uint64_t evictions = 0, reclaimed = 0, expired_unfetched = 0, evicted_unfetched = 0;
  uint64_t get_hits = 0, get_misses = 0, get_expired = 0, get_flushed = 0;
  uint64_t cmd_get = 0, cmd_set = 0, cmd_flush = 0, cmd_touch = 0;
  uint64_t touch_hits = 0, touch_misses = 0, delete_hits = 0, delete_misses = 0;
  uint64_t incr_hits = 0, incr_misses = 0, decr_hits = 0, decr_misses = 0;
  uint64_t cas_hits = 0, cas_misses = 0, cas_badval = 0;
  uint64_t index_bytes = 0;  // hash index memory (inside the limit)
  uint64_t total_pages = 0, page_size = 0, malloced_bytes = 0;
  uint64_t payload_bytes = 0, header_bytes = 0, slack_bytes = 0;
  uint32_t item_header_size = 0;
  // Page moves (memcached names): pages moved between classes, live items evicted to empty them,
  // and moves that skipped a page because an item on it was pinned by a reader or being written.
  uint64_t slabs_moved = 0, slab_reassign_evictions = 0, slab_reassign_busy_items = 0;
  uint64_t store_too_large = 0, store_no_memory = 0;  // sets refused: size, no memory
  // Expiry crawler: expired items it unlinked (also counted in reclaimed) and passes it made.
  uint64_t crawler_reclaimed = 0, crawler_runs = 0;
  // The lazy CAS field (item.h): live items that carry one, and copies made to give an item one
  // (its first CAS handed out: gets, binary get, meta c).
  uint64_t cas_items = 0, cas_copies = 0;
  // Eviction policy: the configured one, the one ordering items now (Adaptive's current choice),
  // Adaptive's switches and sampled share, and what the policies hold beyond the item headers
  // (sketches, ghost filters, Adaptive's shadow caches).
  policy::PolicyKind policy = policy::PolicyKind::kLru;
  policy::PolicyKind policy_live = policy::PolicyKind::kLru;
  uint8_t policy_live_share = 0;  // Adaptive's tuned share (S3-FIFO small / W-TinyLFU window, %)
  uint64_t policy_switches = 0;
  double policy_sample_rate = 0;
  uint64_t policy_bytes = 0;
  // Adaptive only: each candidate policy's weighted miss ratio in its shadow cache (what the
  // choice of policy_live is made from), in the controller's candidate order.
  std::vector<std::pair<policy::PolicySpec, double>> policy_scores;
  // The walk that made this snapshot: the longest any one shard lock was held, in nanoseconds
  // (the walk takes the shard locks one at a time, so this is what a request could wait for).
  uint64_t lock_hold_max_ns = 0;
  std::vector<ClassStats> classes;  // classes with at least one page
  // The page source: its backend and figures (allocations, bytes out, peak, purges).
  memory::PageSourceKind page_source = memory::PageSourceKind::kArena;
  memory::PageSourceStats page_source_stats;
  // RSS control: the budget in force (-m unless the RSS controller lowered it), pages whose
  // memory went back to the OS (ever), and pages parked now (out of circulation, no RSS).
  uint64_t memory_limit_effective = 0;
  uint64_t pages_released = 0;
  uint64_t pages_parked = 0;

  // What -m pays for (DESIGN.md "Memory"): slab pages in use (parked pages excluded), the index,
  // the policies' metadata.
  uint64_t budget_used() const { return total_pages * page_size + index_bytes + policy_bytes; }
  // DESIGN.md's overhead per item: budget used / items - key and value bytes per item.
  double overhead_per_item() const;
};

class Store {
 public:
  explicit Store(const StoreConfig& config);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  GetResult Get(const GetArgs& args);
  StoreResult Set(const StoreArgs& args);
  OpStatus Delete(const DeleteArgs& args);
  // Drops `key`'s item without counting a delete: memcached unlinks the old value when a plain
  // set is refused (too large, no memory), so a reader never sees data older than a failed set.
  // Set() does this itself; a protocol layer calls it when it refuses a set before the store.
  void Discard(std::string_view key);
  ArithResult Arith(const ArithArgs& args);
  OpStatus Touch(std::string_view key, int64_t exptime);
  // flush_all [delay]: every item that exists when the delay runs out becomes invalid.
  void Flush(int64_t delay_seconds);

  StoreStats Stats() const;
  // memcached `stats reset`: zeroes the counters (cmd_*, hits/misses, evictions, reclaimed,
  // total_items, page-move counts, per-class counters); gauges (items, bytes, pages) are kept.
  void ResetStats();
  void VisitCounters(base::CounterVisitor& visitor) const;
  const StoreConfig& config() const;
  // Set when the page source works but not as configured (huge pages refused): for the caller to
  // log; empty otherwise.
  const std::string& page_source_warning() const;

  // One crawler pass: walks every shard's per-class LRU lists that hold items with a TTL, a few
  // hundred items per shard-lock hold, and unlinks the expired items no reader pins (a pinned one
  // goes on a later pass). Examines at most `max_items` items in all (and each list at most as
  // many items as it held when its walk began). Returns the number of items reclaimed. The
  // crawler thread calls this too; calls are serialized.
  size_t CrawlExpired(size_t max_items);

  // Gives the calling thread's cached free slab chunks back to their pages (SlabAllocator's
  // thread bins). Threads that may go idle call it now and then (the server's workers every
  // second) so that no page move waits on an idle thread's bins.
  void FlushThreadCache();
  // RSS control (core/reclaim). The item budget in force, clamped to [fixed part + one page, -m]
  // (the fixed part: index and policy reserves); returns what was set. Lowering it stops new
  // pages from being claimed at once; the pages above it go in ReleasePages() steps. Raising it
  // lets pages be claimed again, parked ones first.
  size_t SetEffectiveLimit(size_t bytes);
  size_t effective_limit() const;
  // What -m pays for now, cheaply (no shard lock): pages in circulation plus the fixed part (the
  // policies' reserve counted whole); Stats().budget_used() is the exact figure.
  size_t budget_in_use() const;
  // While more pages are in use than the effective limit allows, drains up to `max_pages` whole
  // pages (oldest class first; every item on them unlinked, one shard lock per item, never two)
  // and parks them with their memory given back to the OS. A page whose items readers still pin
  // is parked by a later call, once they let go (connections bound pins to 5 s). Returns pages
  // parked by this call. Calls are serialized.
  size_t ReleasePages(size_t max_pages);
  // PageSource::Purge: memory of freed pages the backend still holds goes back to the OS.
  void PurgePageSource();

  // Largest key + value the store accepts (for protocol-level E2BIG before reading a value).
  size_t MaxValueSize(size_t key_size) const;
  // Bytes of metadata every item carries (the fixed header; optional fields come on top).

 private:
  friend class ItemRef;
  struct Impl;
  void Release(void* item);
  StoreResult StoreItem(const StoreArgs& args);  // Set() without the write sample
  std::unique_ptr<Impl> impl_;
};

}  // namespace kmd::cache
