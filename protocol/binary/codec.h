// memcached binary protocol codec: the incremental request parser (with memcached 1.6.18's
// validation rules from proto_bin.c), response header composer, and the request encoder and
// response decoder that clients and tests use. Pure functions over caller bytes; no allocation on
// the parse path; string_views in a Request point into the caller's input and live as long as it.
// Bounds: the parser never asks for more than header + extras + key + min(value, Limits::max_value)
// bytes; a larger value is answered E2BIG and handed back as a swallow count, never buffered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/binary/wire.h"
#include "protocol/common/parse.h"

namespace kmd::protocol::binary {

// One decoded request. Header fields in host order; views into the parsed input.
struct Request {
  Opcode opcode = Opcode::kNoop;
  uint8_t extras_length = 0;
  uint8_t data_type = 0;
  uint16_t key_length = 0;
  uint16_t vbucket = 0;
  uint32_t body_length = 0;
  uint32_t opaque = 0;  // echoed verbatim; host order of the big-endian field
  uint64_t cas = 0;
  std::string_view extras;
  std::string_view key;
  std::string_view value;
  // Extras decoded for the opcode (zero when the opcode has none).
  uint32_t flags = 0;        // set/add/replace
  uint32_t exptime = 0;      // set/add/replace, incr/decr, touch/gat/gatk
  uint64_t delta = 0;        // incr/decr
  uint64_t initial = 0;      // incr/decr
  uint32_t flush_delay = 0;  // flush with 4 bytes of extras
  bool has_flush_delay = false;
};

struct ParseResult {
  ParseOutcome outcome = ParseOutcome::kNeedMore;
  // kComplete: bytes of this request (memcached consumes only header + extras + key for stat,
  // touch and gat*, so a longer body is read as the next request, as memcached does).
  // kBad: bytes up to the end of the key; then `swallow` more bytes are discarded.
  size_t consumed = 0;
  // kBad only. The request's header fields (and key when present) are decoded into the Request so
  // that the answer can echo the opcode and opaque.
  Status status = Status::kSuccess;  // the error to answer when `answer`
  bool answer = false;               // false with close: bad magic, memcached closes silently
  bool close = false;                // close the connection after the answer
  uint64_t swallow = 0;              // body bytes to discard after `consumed`
};

// Parses one request from the front of `in`. kNeedMore means `in` is a prefix of a request
// (consumed == 0). Limits: max_key (memcached 250) and max_value (-I) are honoured.
ParseResult Parse(std::string_view in, const Limits& limits, Request* req);

// True for the quiet opcodes (memcached's noreply mapping in dispatch_bin_command).
bool IsQuiet(Opcode op);

struct ResponseHeader {
  Opcode opcode = Opcode::kNoop;
  Status status = Status::kSuccess;
  uint8_t extras_length = 0;
  uint16_t key_length = 0;
  uint32_t body_length = 0;  // extras + key + value
  uint32_t opaque = 0;
  uint64_t cas = 0;
};

// Writes the 24-byte response header to `out` (which must have kHeaderSize bytes).
void WriteResponseHeader(const ResponseHeader& header, char* out);

// --- Client side: used by tests, fuzz seeds and test clients. ---

struct RequestHeader {
  uint8_t magic = kRequestMagic;
  Opcode opcode = Opcode::kNoop;
  uint16_t key_length = 0;
  uint8_t extras_length = 0;
  uint8_t data_type = 0;
  uint16_t vbucket = 0;
  uint32_t body_length = 0;
  uint32_t opaque = 0;
  uint64_t cas = 0;
};
void WriteRequestHeader(const RequestHeader& header, char* out);

// A well-formed request: header with lengths taken from the parts, then extras, key, value.
std::string EncodeRequest(Opcode op, std::string_view key = {}, std::string_view extras = {},
                          std::string_view value = {}, uint32_t opaque = 0, uint64_t cas = 0);
std::string StoreExtras(uint32_t flags, uint32_t exptime);
std::string ArithExtras(uint64_t delta, uint64_t initial, uint32_t exptime);
std::string ExptimeExtras(uint32_t exptime);  // touch, gat, gatk, flush

struct Response {
  uint8_t magic = 0;
  Opcode opcode = Opcode::kNoop;
  Status status = Status::kSuccess;
  uint8_t data_type = 0;
  uint32_t opaque = 0;
  uint64_t cas = 0;
  std::string_view extras;
  std::string_view key;
  std::string_view value;
};
// Decodes one response from the front of `in`; kBad when the magic is not 0x81 or the lengths
// disagree. `consumed` is set on kComplete.
ParseOutcome ParseResponse(std::string_view in, Response* resp, size_t* consumed);

// Big-endian helpers shared by the codec and the session.
inline uint16_t LoadBe16(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((b[0] << 8) | b[1]);
}
inline uint32_t LoadBe32(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}
inline uint64_t LoadBe64(const char* p) { return (uint64_t{LoadBe32(p)} << 32) | LoadBe32(p + 4); }
inline void StoreBe16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v);
}
inline void StoreBe32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}
inline void StoreBe64(char* p, uint64_t v) {
  StoreBe32(p, static_cast<uint32_t>(v >> 32));
  StoreBe32(p + 4, static_cast<uint32_t>(v));
}

}  // namespace kmd::protocol::binary
