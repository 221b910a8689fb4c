// Creates the protocol session for a new connection from its first byte (0x80 = binary).
// Thread-safety: Create() is called on worker threads; the context is shared read-mostly.
#pragma once

#include <memory>

#include "server/dispatch/dispatch_context.h"
#include "server/net/session.h"

namespace kmd::dispatch {

class DispatchSessionFactory final : public net::SessionFactory {
 public:
  explicit DispatchSessionFactory(DispatchContext& ctx) : ctx_(ctx) {}
  std::unique_ptr<net::Session> Create(bool binary, net::WorkerMemory& memory) override;

 private:
  DispatchContext& ctx_;
};

}  // namespace kmd::dispatch
