// RssController: sampling thread and the actions of one tick (see rss_controller.h).
// Lock order: the registry's lock is held only while shrinkers run; the store takes its own
// shard locks one at a time inside ReleasePages; stats_mu_ is a leaf.
#include "core/reclaim/executor/rss_controller.h"

#include <algorithm>

#include "core/memory/process_env.h"
#include "core/profile/process_memory.h"

namespace kmd::reclaim {

RssController::RssController(cache::Store& store, base::ShrinkerRegistry& shrinkers,
                             base::MemoryPressure& pressure, const RssControllerOptions& options)
    : store_(store), shrinkers_(shrinkers), pressure_(pressure), options_(options) {
  if (!options_.read_rss) options_.read_rss = [] { return profile::ResidentBytes(); };
  if (options_.item_budget_min == 0) options_.item_budget_min = store.config().memory_limit / 4;
  stats_.limit = options_.limit;
  stats_.item_budget = store.effective_limit();
}

RssController::~RssController() { Stop(); }

void RssController::Start() {
  if (options_.limit == 0 || thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void RssController::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(wake_mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void RssController::Loop() {
  std::unique_lock lock(wake_mu_);
  while (!stop_) {
    lock.unlock();
    const RssActions actions = Tick();
    lock.lock();
    wake_.wait_for(lock, actions.next_sample, [this] { return stop_; });
  }
}

RssActions RssController::Tick() {
  const auto now = std::chrono::steady_clock::now();
  RssInputs in;
  in.rss = options_.read_rss();
  in.limit = options_.limit;
  in.item_budget = store_.effective_limit();
  in.item_used = store_.budget_in_use();
  in.item_budget_max = store_.config().memory_limit;
  in.item_budget_min = options_.item_budget_min;
  shrinkers_.ForEach([&](const base::Shrinker& s) { in.shrinkable += s.HeldBytes(); });
  in.ms_since_purge =
      last_purge_ == std::chrono::steady_clock::time_point{}
          ? UINT64_MAX
          : static_cast<uint64_t>(
                std::chrono::duration_cast<std::chrono::milliseconds>(now - last_purge_).count());
  in.calm_samples = calm_samples_;
  const RssActions a = DecideRss(in, options_.rules);
  calm_samples_ = a.calm_samples;

  // Admission first: it is what stops growth while the rest takes effect.
  pressure_.set_over_limit(a.refuse_copies);
  uint64_t shrinks = 0, freed = 0;
  if (a.shrink_consumers > 0) {
    shrinkers_.ForEach([&](base::Shrinker& s) {
      if (freed >= a.shrink_consumers || s.HeldBytes() == 0) return;
      freed += s.Shrink(a.shrink_consumers - freed);
      ++shrinks;
    });
  }
  if (a.purge) {
    store_.PurgePageSource();
    memory::PurgeProcessAllocator();
    last_purge_ = now;
  }
  if (a.item_budget != in.item_budget) store_.SetEffectiveLimit(a.item_budget);
  const size_t released = store_.ReleasePages(options_.release_pages_per_tick);

  std::lock_guard lock(stats_mu_);
  stats_.state = a.state;
  stats_.rss = in.rss;
  stats_.rss_max = std::max(stats_.rss_max, in.rss);
  stats_.item_budget = store_.effective_limit();
  ++stats_.samples;
  stats_.consumer_shrinks += shrinks;
  stats_.consumer_bytes += freed;
  if (a.purge) ++stats_.purges;
  if (a.item_budget < in.item_budget) ++stats_.budget_cuts;
  if (a.item_budget > in.item_budget) ++stats_.budget_raises;
  stats_.pages_released += released;
  if (a.refuse_copies) ++stats_.copies_refused_ticks;
  return a;
}

RssControllerStats RssController::Stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

void RssController::VisitCounters(base::CounterVisitor& v) const {
  using base::MetricKind;
  const RssControllerStats s = Stats();
  const auto d = [](uint64_t n) { return static_cast<double>(n); };
  const base::MetricRow rows[] = {
      {"rss_limit_bytes", MetricKind::kGauge, d(s.limit), "memory.rss_limit (0: off)"},
      {"rss_controller_rss_max_bytes", MetricKind::kGauge, d(s.rss_max),
       "Highest RSS the controller sampled"},
      {"rss_controller_item_budget_bytes", MetricKind::kGauge, d(s.item_budget),
       "Item budget in force (at most -m)"},
      {"rss_controller_samples_total", MetricKind::kCounter, d(s.samples), "RSS samples taken"},
      {"rss_controller_consumer_shrinks_total", MetricKind::kCounter, d(s.consumer_shrinks),
       "Shrink calls made to buffer pools and connection copies"},
      {"rss_controller_consumer_freed_bytes_total", MetricKind::kCounter, d(s.consumer_bytes),
       "Bytes the shrinkers reported freeing"},
      {"rss_controller_purges_total", MetricKind::kCounter, d(s.purges),
       "Page source and malloc purges"},
      {"rss_controller_budget_cuts_total", MetricKind::kCounter, d(s.budget_cuts),
       "Times the item budget was lowered"},
      {"rss_controller_budget_raises_total", MetricKind::kCounter, d(s.budget_raises),
       "Times the item budget was raised back"},
      {"rss_controller_pages_released_total", MetricKind::kCounter, d(s.pages_released),
       "Item pages emptied and given back to the OS"},
  };
  base::VisitRows(v, rows);
  for (RssState st : {RssState::kOff, RssState::kOk, RssState::kHolding, RssState::kGrowing,
                      RssState::kShrinking, RssState::kOver}) {
    const base::MetricLabel label{"state", RssStateName(st)};
    v.Visit("rss_controller_state", MetricKind::kGauge, st == s.state ? 1.0 : 0.0,
            "The RSS controller's state (1 for the current one)", &label, 1);
  }
}

}  // namespace kmd::reclaim
