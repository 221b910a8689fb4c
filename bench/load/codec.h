// Wire formats kmd-load speaks: composes requests (memcached binary, text, meta; RESP) into a
// caller-given buffer and parses replies incrementally, one element (a value, a status) at a time,
// so a multi-get reply never has to sit whole in the read buffer. Pure: no I/O, no allocation.
// Thread-safety: stateless functions; the per-request parse state lives in the caller's Pending.
// Invariant: replies arrive in request order (all four protocols guarantee it per connection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bench/load/options.h"

namespace kmd::bench {

enum class RequestKind : uint8_t { kSet, kGet };

// One request on the wire, awaiting its reply.
struct Pending {
  int64_t start_ns = 0;  // send time, or intended send time in open-loop mode
  RequestKind kind = RequestKind::kGet;
  uint32_t keys = 0;       // keys asked for (gets)
  uint32_t hits = 0;       // values seen so far
  int64_t remaining = -1;  // RESP multi-bulk elements still due; -1 = header not yet seen
  bool error = false;      // an unexpected status was seen (stream still in sync)
};

enum class ParseStatus { kComplete, kNeedMore, kBad };

// Consumes as many whole reply elements for `p` as `data` holds. kComplete: the reply is done
// (p.hits / p.error final); kNeedMore: `consumed` bytes were used, the rest of the reply is still
// due; kBad: the stream cannot be understood and the connection must be dropped.
ParseStatus ParseReply(Protocol proto, const char* data, size_t len, Pending& p, size_t& consumed);

// Upper bounds on the bytes one request occupies, for sizing per-connection buffers once.
size_t MaxSetRequestSize(size_t key_len, size_t value_len);
size_t MaxGetRequestSize(size_t key_len, size_t keys);

// Both return the number of bytes written to `out`, which must have room for the bound above.
size_t ComposeSet(Protocol proto, char* out, std::string_view key, const char* value,
                  uint32_t value_len, uint32_t expiry);
size_t ComposeGet(Protocol proto, char* out, const std::string_view* keys, uint32_t n);

// Writes `prefix` followed by `index` in decimal, zero-padded so the key is `key_size` bytes long
// (no padding when key_size is 0 or too small). Returns the length; `out` holds >= 256 bytes.
size_t FormatKey(char* out, std::string_view prefix, uint64_t index, uint32_t key_size);

}  // namespace kmd::bench
