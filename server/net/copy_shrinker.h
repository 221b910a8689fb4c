// CopyShrinker: the stalled readers' output copies (connection.h WriteCopiedRest) as a shrinker
// for the RSS controller (core/base/shrinker.h). Shrink posts to every worker an abort of its
// largest copy holders; the bytes go when each worker runs it (within one event-loop turn).
// Thread-safety: HeldBytes/Shrink from any thread; the registries are touched only on their
// workers. Priority 10: after buffer pools (which cost no client its connection).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <memory>
#include <vector>

#include "core/base/shrinker.h"
#include "server/net/connection_registry.h"
#include "server/net/session.h"
#include "server/net/worker_pool.h"

namespace kmd::net {

class CopyShrinker final : public base::Shrinker {
 public:
  CopyShrinker(WorkerPool& pool, const std::vector<std::unique_ptr<ConnectionRegistry>>& registries,
               ServerCounters& counters)
      : pool_(pool), registries_(registries), counters_(counters) {}

  std::string_view name() const override { return "conn_copies"; }
  int priority() const override { return 10; }
  uint64_t HeldBytes() const override {
    return counters_.copied_bytes.load(std::memory_order_relaxed);
  }
  uint64_t Shrink(uint64_t bytes) override {
    const uint64_t held = HeldBytes();
    for (size_t i = 0; i < registries_.size(); ++i) {
      ConnectionRegistry* registry = registries_[i].get();
      boost::asio::post(pool_.At(i), [registry, bytes] { registry->AbortCopies(bytes); });
    }
    return std::min(held, bytes);
  }

 private:
  WorkerPool& pool_;
  const std::vector<std::unique_ptr<ConnectionRegistry>>& registries_;
  ServerCounters& counters_;
};

}  // namespace kmd::net
