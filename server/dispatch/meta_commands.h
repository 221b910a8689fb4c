// Meta commands (mg, ms, md, ma, me) executed against the Store with memcached 1.6.18's replies:
// status code, return flags in request order, then W/X/Z; q suppresses exactly what 1.6.18 does
// (mg: EN; ms: HD; md: HD; ma: HD/VA unless the item was just created).
// Thread-safety: stateless functions; called on a connection's worker thread.
// Departure from 1.6.18 (a superset): flags E (explicit CAS) and x (md: drop the value, keep the
// item) from later memcached versions are accepted instead of "CLIENT_ERROR invalid flag".
#pragma once

#include "protocol/text/text_codec.h"
#include "server/dispatch/dispatch_context.h"
#include "server/dispatch/output_buffer.h"

namespace kmd::dispatch {

void MetaGet(DispatchContext& ctx, const protocol::text::Request& req, OutputBuffer* out);
void MetaSet(DispatchContext& ctx, const protocol::text::Request& req, OutputBuffer* out);
void MetaDelete(DispatchContext& ctx, const protocol::text::Request& req, OutputBuffer* out);
void MetaArithmetic(DispatchContext& ctx, const protocol::text::Request& req, OutputBuffer* out);
void MetaDebug(DispatchContext& ctx, const protocol::text::Request& req, OutputBuffer* out);

}  // namespace kmd::dispatch
