// The store's figures as metrics (ReportStoreStats, for Store::VisitCounters) and the derived
// memory figures of StoreStats. Names follow memcached_exporter's (without its `memcached_` prefix)
// where the meaning is the same, Prometheus conventions otherwise. Thread-safe: works on one
// Stats() snapshot.
#include "core/cache/store_metrics.h"

#include <initializer_list>
#include <string>

#include "core/cache/memory_split.h"

namespace kmd::cache {
namespace {

using base::MetricKind;
using base::MetricLabel;

class Reporter {
 public:
  explicit Reporter(base::CounterVisitor& v) : v_(v) {}
  void Counter(std::string_view name, uint64_t value, std::string_view help,
               std::initializer_list<MetricLabel> labels = {}) {
    Report(name, MetricKind::kCounter, static_cast<double>(value), help, labels);
  }
  void Gauge(std::string_view name, double value, std::string_view help,
             std::initializer_list<MetricLabel> labels = {}) {
    Report(name, MetricKind::kGauge, value, help, labels);
  }

 private:
  void Report(std::string_view name, MetricKind kind, double value, std::string_view help,
              std::initializer_list<MetricLabel> labels) {
    v_.Visit(name, kind, value, help, labels.begin(), static_cast<int>(labels.size()));
  }
  base::CounterVisitor& v_;
};

constexpr std::string_view kCommandsHelp =
    "Requests by command and outcome (memcached_exporter's breakdown; set excludes cas)";
constexpr std::string_view kSlabCommandsHelp = "Hits by slab class, command and outcome";
constexpr std::string_view kMemoryHelp =
    "Bytes by kind: the budget's kinds (-m) add up to budget_used_bytes; buffers and pools sit "
    "outside the budget; unaccounted is RSS beyond every other kind";

uint64_t Minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

void Commands(const StoreStats& st, Reporter& r) {
  const auto command = [&](std::string_view cmd, std::string_view status, uint64_t value) {
    r.Counter("commands_total", value, kCommandsHelp, {{"command", cmd}, {"status", status}});
  };
  command("get", "hit", st.get_hits);
  command("get", "miss", st.get_misses);
  // memcached counts cas in cmd_set; the exporter reports set without it, and so do we.
  command("set", "hit", Minus(st.cmd_set, st.cas_hits + st.cas_misses + st.cas_badval));
  command("cas", "hit", st.cas_hits);
  command("cas", "miss", st.cas_misses);
  command("cas", "badval", st.cas_badval);
  command("touch", "hit", st.touch_hits);
  command("touch", "miss", st.touch_misses);
  command("delete", "hit", st.delete_hits);
  command("delete", "miss", st.delete_misses);
  command("incr", "hit", st.incr_hits);
  command("incr", "miss", st.incr_misses);
  command("decr", "hit", st.decr_hits);
  command("decr", "miss", st.decr_misses);
  command("flush", "hit", st.cmd_flush);
  r.Counter("get_expired_total", st.get_expired, "Gets that found an expired item (also misses)");
  r.Counter("get_flushed_total", st.get_flushed, "Gets that found a flushed item (also misses)");
}

void Memory(const StoreStats& st, Reporter& r) {
  // Unaccounted needs the RSS, which the process reporter adds (server/admin).
  const MemorySplit split = SplitMemory(st, 0);
  const auto values = split.values();
  // The kinds outside the budget are their owners' to report (server/admin adds them).
  for (size_t i = 0; i < MemorySplit::kBudgetKinds; ++i) {
    r.Gauge("memory_bytes", static_cast<double>(values[i]), kMemoryHelp,
            {{"kind", MemorySplit::kNames[i]}});
  }
  r.Gauge("budget_used_bytes", static_cast<double>(st.budget_used()),
          "Bytes of the memory budget (-m) in use: slab pages, index, eviction-policy metadata");
  r.Gauge("overhead_per_item_bytes", st.overhead_per_item(),
          "Budget used per item beyond its key and value bytes (0 when empty)");
}

// The configured eviction policy and the one ordering items now (Adaptive's current choice).
void Policy(const StoreStats& st, Reporter& r) {
  r.Gauge(
      "eviction_policy_info", 1, "Eviction policy configured and live (always 1)",
      {{"policy", policy::PolicyName(st.policy)}, {"live", policy::PolicyName(st.policy_live)}});
  r.Counter("eviction_policy_switches_total", st.policy_switches,
            "Times Adaptive changed the live policy");
  if (st.policy == policy::PolicyKind::kAdaptive) {
    r.Gauge("eviction_policy_sample_ratio", st.policy_sample_rate,
            "Share of keys Adaptive's shadow caches sample");
    for (const auto& [spec, score] : st.policy_scores) {
      const std::string share = std::to_string(spec.share);
      r.Gauge("eviction_policy_shadow_miss_ratio", score,
              "Adaptive's candidates: weighted miss ratio of each policy in its shadow cache on "
              "the sampled keys (the lowest wins, with a margin); share = S3-FIFO small queue or "
              "W-TinyLFU window, %",
              {{"policy", policy::PolicyName(spec.kind)}, {"share", share}});
    }
  }
}

void Classes(const StoreStats& st, Reporter& r) {
  for (const ClassStats& k : st.classes) {
    const std::string id = std::to_string(k.id);
    const MetricLabel slab{"slab", id};
    const auto gauge = [&](std::string_view name, double value, std::string_view help) {
      r.Gauge(name, value, help, {slab});
    };
    const auto counter = [&](std::string_view name, uint64_t value, std::string_view help) {
      r.Counter(name, value, help, {slab});
    };
    const auto command = [&](std::string_view cmd, std::string_view status, uint64_t value) {
      r.Counter("slab_commands_total", value, kSlabCommandsHelp,
                {slab, {"command", cmd}, {"status", status}});
    };
    gauge("slab_chunk_size_bytes", k.chunk_size, "Chunk size of the slab class");
    gauge("slab_chunks_per_page", k.chunks_per_page, "Chunks in one page of the slab class");
    gauge("slab_current_pages", static_cast<double>(k.total_pages), "Pages of the slab class");
    gauge("slab_current_chunks", static_cast<double>(k.total_pages * k.chunks_per_page),
          "Chunks in the pages of the slab class");
    gauge("slab_chunks_used", static_cast<double>(k.used_chunks), "Chunks holding an item");
    gauge("slab_chunks_free", static_cast<double>(k.free_chunks), "Chunks holding no item");
    gauge("slab_mem_requested_bytes", static_cast<double>(k.payload_bytes + k.header_bytes),
          "Item bytes (metadata, key, value) stored in the slab class");
    gauge("slab_current_items", static_cast<double>(k.items), "Items in the slab class");
    gauge("slab_items_age_seconds", static_cast<double>(k.oldest_age),
          "Seconds since the last access of the class's next eviction victim (its LRU tail)");
    gauge("slab_items_evicted_time_seconds", static_cast<double>(k.evicted_time),
          "Seconds between last access and eviction of the class's most recently evicted item");
    counter("slab_items_evicted_total", k.evicted, "Live items evicted from the slab class");
    counter("slab_items_evicted_nonzero_total", k.evicted_nonzero,
            "Evicted items that had an expiry time set");
    counter("slab_items_evicted_unfetched_total", k.evicted_unfetched,
            "Evicted items that were never read");
    counter("slab_items_expired_unfetched_total", k.expired_unfetched,
            "Expired items that were never read");
    counter("slab_items_outofmemory_total", k.outofmemory,
            "Stores into the slab class refused for lack of memory");
    command("get", "hit", k.get_hits);
    command("set", "hit", Minus(k.cmd_set, k.cas_hits + k.cas_badval));
    command("delete", "hit", k.delete_hits);
    command("incr", "hit", k.incr_hits);
    command("decr", "hit", k.decr_hits);
    command("cas", "hit", k.cas_hits);
    command("cas", "badval", k.cas_badval);
    command("touch", "hit", k.touch_hits);
  }
}

}  // namespace

double StoreStats::overhead_per_item() const {
  if (curr_items == 0) return 0;
  const double items = static_cast<double>(curr_items);
  return static_cast<double>(budget_used()) / items - static_cast<double>(payload_bytes) / items;
}

void ReportStoreStats(const StoreStats& st, base::CounterVisitor& v) {
  Reporter r(v);
  r.Gauge("current_items", static_cast<double>(st.curr_items), "Items currently stored");
  r.Counter("items_total", st.total_items, "Items stored since start");
  r.Gauge("current_bytes", static_cast<double>(st.bytes), "Chunk bytes used by live items");
  r.Gauge("limit_bytes", static_cast<double>(st.limit_maxbytes),
          "Memory budget (-m): slab pages plus the index");
  r.Gauge("malloced_bytes", static_cast<double>(st.malloced_bytes), "Bytes of slab pages in use");
  r.Counter("items_evicted_total", st.evictions, "Live items evicted to make room");
  r.Counter("items_reclaimed_total", st.reclaimed, "Expired items whose memory was reused");
  r.Counter("items_expired_unfetched_total", st.expired_unfetched, "Expired items never read");
  r.Counter("items_evicted_unfetched_total", st.evicted_unfetched, "Evicted items never read");
  r.Counter("item_too_large_total", st.store_too_large, "Stores refused: item too large");
  r.Counter("item_no_memory_total", st.store_no_memory, "Stores refused: no memory");
  Commands(st, r);
  Memory(st, r);
  r.Counter("pages_moved_total", st.slabs_moved, "Slab pages moved between classes");
  r.Counter("page_move_evictions_total", st.slab_reassign_evictions,
            "Live items evicted to empty a page for a move");
  r.Counter("page_move_busy_items_total", st.slab_reassign_busy_items,
            "Page moves that skipped a page holding a pinned or busy item");
  r.Counter("lru_crawler_reclaimed_total", st.crawler_reclaimed,
            "Expired items the background crawler unlinked (also in items_reclaimed_total)");
  r.Counter("lru_crawler_starts_total", st.crawler_runs, "Expiry crawler passes");
  r.Gauge("items_with_cas_field", static_cast<double>(st.cas_items),
          "Live items carrying a CAS field (6 bytes; given when a CAS is first handed out)");
  r.Counter("cas_field_copies_total", st.cas_copies,
            "Items copied to give them a CAS field on the first gets, binary get or meta c");
  r.Gauge("stats_lock_hold_max_seconds", static_cast<double>(st.lock_hold_max_ns) * 1e-9,
          "Longest single shard-lock hold of the stats walk behind this report");
  Policy(st, r);
  Classes(st, r);
}

}  // namespace kmd::cache
