// RssController::Tick over a real Store and a real shrinker, with the RSS reading injected (a
// test process's own RSS is not the daemon's): the loop shrinks in order, holds the limit,
// grows back with hysteresis, sets the admission flag, and reports what it did.
#include "core/reclaim/executor/rss_controller.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "core/base/shrinker.h"
#include "core/cache/store.h"

namespace kmd::reclaim {
namespace {

constexpr uint64_t kMiB = 1u << 20;

// Holds real buffers, 1 MiB each; Shrink frees whole buffers.
class BufferPool final : public base::Shrinker {
 public:
  explicit BufferPool(int buffers) {
    for (int i = 0; i < buffers; ++i) buffers_.emplace_back(kMiB, 'p');
  }
  std::string_view name() const override { return "test_pool"; }
  int priority() const override { return 0; }
  uint64_t HeldBytes() const override { return buffers_.size() * kMiB; }
  uint64_t Shrink(uint64_t bytes) override {
    uint64_t freed = 0;
    while (freed < bytes && !buffers_.empty()) {
      buffers_.pop_back();
      freed += kMiB;
    }
    ++calls;
    return freed;
  }
  int calls = 0;

 private:
  std::vector<std::string> buffers_;
};

cache::StoreConfig Config(size_t limit) {
  cache::StoreConfig cfg;
  cfg.memory_limit = limit;
  cfg.policy = cache::policy::PolicyKind::kLru;
  cfg.crawler_interval_ms = 0;
  return cfg;
}

// Writes 1000-byte values until the store evicts: it then uses its whole effective budget.
void Fill(cache::Store& store, int* next) {
  const std::string value(1000, 'v');
  const uint64_t evictions = store.Stats().evictions;
  for (int i = 0; i < 60000; ++i, ++*next) {
    cache::StoreArgs a;
    const std::string key = std::string("k").append(std::to_string(*next));
    a.key = key;
    a.value = value;
    store.Set(a);
    if (i % 1000 == 999 && store.Stats().evictions > evictions) return;
  }
}

TEST_CASE("controller: shrinkers first, then the item budget, until RSS is under the limit") {
  cache::Store store(Config(32 * kMiB));
  int next = 0;
  Fill(store, &next);
  base::ShrinkerRegistry registry;
  BufferPool pool(4);
  base::ShrinkerRegistration reg(&registry, &pool);
  base::MemoryPressure pressure;
  uint64_t base_rss = 10 * kMiB;
  RssControllerOptions options;
  options.limit = 40 * kMiB;
  // The modelled process: a base, the store's pages and index, the pool's buffers.
  options.read_rss = [&] { return base_rss + store.budget_in_use() + pool.HeldBytes(); };
  RssController controller(store, registry, pressure, options);
  CHECK(options.read_rss() > options.limit);

  RssActions first = controller.Tick();
  CHECK(first.state == RssState::kOver);
  CHECK(pressure.over_limit());
  CHECK(pool.calls == 1);
  CHECK(pool.HeldBytes() == 0);  // the pool gave everything before the items were touched
  for (int i = 0; i < 50 && options.read_rss() > 0.95 * options.limit; ++i) {
    controller.Tick();
    Fill(store, &next);  // load continues: the store refills whatever budget it has
  }
  CHECK(options.read_rss() <= 0.95 * options.limit);
  CHECK(store.effective_limit() < 32 * kMiB);
  CHECK(store.Stats().budget_used() <= store.effective_limit());
  controller.Tick();
  CHECK_FALSE(pressure.over_limit());

  const RssControllerStats s = controller.Stats();
  CHECK(s.limit == 40 * kMiB);
  CHECK(s.rss_max >= 10 * kMiB + 32 * kMiB);
  CHECK(s.budget_cuts > 0);
  CHECK(s.budget_raises == 0);
  CHECK(s.pages_released > 0);
  CHECK(s.pages_released == store.Stats().pages_released);
  CHECK(s.purges >= 1);
  CHECK(s.consumer_shrinks == 1);
  CHECK(s.consumer_bytes == 4 * kMiB);
  CHECK(s.item_budget == store.effective_limit());
  std::map<std::string, double> metrics;
  struct Collect : base::CounterVisitor {
    std::map<std::string, double>* out;
    void Visit(std::string_view name, base::MetricKind, double value, std::string_view,
               const base::MetricLabel* labels, int count) override {
      std::string key(name);
      if (count == 1) key.append("{").append(labels[0].value).append("}");
      (*out)[key] = value;
    }
  } visitor;
  visitor.out = &metrics;
  controller.VisitCounters(visitor);
  CHECK(metrics["rss_limit_bytes"] == 40 * kMiB);
  CHECK(metrics["rss_controller_pages_released_total"] == static_cast<double>(s.pages_released));
  CHECK(metrics["rss_controller_state{" + std::string(RssStateName(s.state)) + "}"] == 1);

  // Room again (the base shrank): the budget grows back, in steps, after calm samples only.
  base_rss = 2 * kMiB;
  const uint64_t held = store.effective_limit();
  for (uint32_t i = 1; i < RssRules{}.calm_to_grow; ++i) {
    controller.Tick();
    CHECK(store.effective_limit() == held);
  }
  uint64_t raises = 0;
  for (int i = 0; i < 400; ++i) {
    const RssActions a = controller.Tick();
    Fill(store, &next);
    if (a.state == RssState::kGrowing) ++raises;
    // Never grown into pressure: growth stops below the band's top.
    CHECK(options.read_rss() <= 0.95 * options.limit);
  }
  CHECK(raises > 0);
  CHECK(store.effective_limit() > held);
  CHECK(store.effective_limit() <= 32 * kMiB);
  // No oscillation: once settled, it neither cuts nor raises under the same load.
  const RssControllerStats settled = controller.Stats();
  for (int i = 0; i < 30; ++i) {
    controller.Tick();
    Fill(store, &next);
  }
  CHECK(controller.Stats().budget_cuts == settled.budget_cuts);
}

TEST_CASE("controller: off without a limit; Start/Stop run the thread and stop it") {
  cache::Store store(Config(16 * kMiB));
  base::ShrinkerRegistry registry;
  base::MemoryPressure pressure;
  RssControllerOptions off;
  RssController idle(store, registry, pressure, off);
  idle.Start();  // no limit: no thread
  CHECK(idle.Tick().state == RssState::kOff);
  idle.Stop();

  RssControllerOptions options;
  options.limit = 64 * kMiB;
  std::atomic<uint64_t> calls{0};
  options.read_rss = [&] {
    ++calls;
    return uint64_t{70} * kMiB;
  };
  RssController controller(store, registry, pressure, options);
  controller.Start();
  for (int i = 0; i < 200 && calls.load() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  controller.Stop();
  CHECK(calls.load() >= 3);
  CHECK(pressure.over_limit());
  CHECK(controller.Stats().state == RssState::kOver);
}

}  // namespace
}  // namespace kmd::reclaim
