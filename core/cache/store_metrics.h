// ReportStoreStats: one StoreStats snapshot as metrics through the counter visitor, under
// Prometheus names (see store_metrics.cc). Store::VisitCounters calls it; pure, thread-safe.
#pragma once

#include "core/base/counters.h"
#include "core/cache/store.h"

namespace kmd::cache {

void ReportStoreStats(const StoreStats& stats, base::CounterVisitor& visitor);

}  // namespace kmd::cache
