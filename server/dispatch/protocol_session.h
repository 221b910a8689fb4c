// What every protocol session shares: the daemon context and the connection's OutputBuffer, with
// the net::Session output contract implemented once over it. Subclasses parse and execute.
// Thread-safety: one connection's worker thread only (net::Session contract).
#pragma once

#include <sys/uio.h>

#include <vector>

#include "server/dispatch/dispatch_context.h"
#include "server/dispatch/output_buffer.h"
#include "server/net/session.h"

namespace kmd::dispatch {

class ProtocolSession : public net::Session {
 public:
  bool HasOutput() const final { return !out_.empty(); }
  void TakeOutput(std::vector<iovec>* iov) final { out_.Take(iov); }
  void Written() final { out_.Written(); }
  size_t PinnedBytes() const final { return out_.pinned_bytes(); }

 protected:
  explicit ProtocolSession(DispatchContext& ctx) : ctx_(ctx) {}
  // Past the soft limit a session stops parsing so the connection writes first (bounded output).
  bool OutputFull() const { return out_.pending_bytes() > OutputBuffer::kSoftLimitBytes; }
  // memcached -R: after this many requests from one read, the worker serves other connections
  // before the rest (the output still leaves in one write unless it grows past the soft limit).
  bool YieldDue(size_t served) const { return served >= ctx_.reqs_per_event; }

  DispatchContext& ctx_;
  OutputBuffer out_;
};

}  // namespace kmd::dispatch
