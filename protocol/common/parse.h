// Shared vocabulary of the incremental parsers: the three outcomes, bytes consumed, and the
// limits every parser enforces. Pure values; no I/O, no allocation.
// Each protocol (binary, text incl. meta) has its own Request value in its own folder because the
// wire shapes differ (multi-key text get, binary extras); dispatch maps each onto the Store API.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kmd::protocol {

enum class ParseOutcome : uint8_t {
  kComplete,  // one request decoded; `consumed` bytes belong to it
  kNeedMore,  // a prefix of a valid request; call again with more bytes (consumed == 0)
  kBad,       // malformed; see the protocol's error fields for the reply and how to resync
};

struct Limits {
  size_t max_key = 250;                // memcached KEY_MAX_LENGTH
  size_t max_value = 1024 * 1024;      // -I, item size limit
  size_t max_line = 2048;              // text line without '\n' past this: close (memcached rule)
  size_t max_multiget_line = 1 << 20;  // bound on a get/gets line (memcached: unbounded)
};

}  // namespace kmd::protocol
