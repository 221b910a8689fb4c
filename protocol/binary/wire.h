// memcached binary protocol wire constants: magic bytes, opcodes, status codes, header layout.
// Source: memcached's protocol_binary.h and doc/protocol-binary.xml ("Memcache Binary Protocol"
// draft, sections 2 (header), 3.1 (magic), 3.2 (status), 3.3 (opcodes)), as served by 1.6.18.
// Pure constants; no state. Multi-byte header fields are big-endian on the wire.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kmd::protocol::binary {

inline constexpr uint8_t kRequestMagic = 0x80;   // spec 3.1
inline constexpr uint8_t kResponseMagic = 0x81;  // spec 3.1
inline constexpr uint8_t kRawBytes = 0x00;       // spec 3.4: the only data type
inline constexpr size_t kHeaderSize = 24;        // spec 2: request and response headers alike

// Byte offsets inside the 24-byte header (spec 2). Request and response share the layout; bytes
// 6-7 are "vbucket"/reserved in a request and the status in a response.
inline constexpr size_t kOffMagic = 0;
inline constexpr size_t kOffOpcode = 1;
inline constexpr size_t kOffKeyLength = 2;     // uint16
inline constexpr size_t kOffExtrasLength = 4;  // uint8
inline constexpr size_t kOffDataType = 5;      // uint8
inline constexpr size_t kOffStatus = 6;        // uint16 (request: vbucket id / reserved)
inline constexpr size_t kOffBodyLength = 8;    // uint32: extras + key + value
inline constexpr size_t kOffOpaque = 12;       // uint32, echoed verbatim
inline constexpr size_t kOffCas = 16;          // uint64

// Command opcodes, spec 3.3 / protocol_binary.h.
enum class Opcode : uint8_t {
  kGet = 0x00,
  kSet = 0x01,
  kAdd = 0x02,
  kReplace = 0x03,
  kDelete = 0x04,
  kIncrement = 0x05,
  kDecrement = 0x06,
  kQuit = 0x07,
  kFlush = 0x08,
  kGetQ = 0x09,
  kNoop = 0x0a,
  kVersion = 0x0b,
  kGetK = 0x0c,
  kGetKQ = 0x0d,
  kAppend = 0x0e,
  kPrepend = 0x0f,
  kStat = 0x10,
  kSetQ = 0x11,
  kAddQ = 0x12,
  kReplaceQ = 0x13,
  kDeleteQ = 0x14,
  kIncrementQ = 0x15,
  kDecrementQ = 0x16,
  kQuitQ = 0x17,
  kFlushQ = 0x18,
  kAppendQ = 0x19,
  kPrependQ = 0x1a,
  // In the spec and in memcached 1.4, but memcached 1.6 dropped it: 1.6.18 answers
  // UNKNOWN_COMMAND, and so do we.
  kVerbosity = 0x1b,
  kTouch = 0x1c,
  kGat = 0x1d,
  kGatQ = 0x1e,
  kSaslListMechs = 0x20,
  kSaslAuth = 0x21,
  kSaslStep = 0x22,
  kGatK = 0x23,
  kGatKQ = 0x24,
  // Range operations: defined in protocol_binary.h for other projects, never served by memcached.
  kRGet = 0x30,
  kRSet = 0x31,
  kRSetQ = 0x32,
  kRAppend = 0x33,
  kRAppendQ = 0x34,
  kRPrepend = 0x35,
  kRPrependQ = 0x36,
  kRDelete = 0x37,
  kRDeleteQ = 0x38,
  kRIncr = 0x39,
  kRIncrQ = 0x3a,
  kRDecr = 0x3b,
  kRDecrQ = 0x3c,
};

// Response status, spec 3.2.
enum class Status : uint16_t {
  kSuccess = 0x0000,
  kKeyNotFound = 0x0001,    // KEY_ENOENT
  kKeyExists = 0x0002,      // KEY_EEXISTS
  kTooLarge = 0x0003,       // E2BIG
  kInvalid = 0x0004,        // EINVAL
  kNotStored = 0x0005,      // NOT_STORED
  kDeltaBadValue = 0x0006,  // DELTA_BADVAL
  kAuthError = 0x0020,
  kAuthContinue = 0x0021,
  kUnknownCommand = 0x0081,
  kNoMemory = 0x0082,  // ENOMEM
};

// Extras lengths memcached requires per opcode family (proto_bin.c dispatch_bin_command).
inline constexpr uint8_t kStoreExtras = 8;        // flags, expiration
inline constexpr uint8_t kArithExtras = 20;       // delta, initial, expiration
inline constexpr uint8_t kTouchExtras = 4;        // expiration (touch, gat, gatk)
inline constexpr uint8_t kFlushExtras = 4;        // optional delay
inline constexpr uint8_t kGetResponseExtras = 4;  // flags
// Incr/decr expiration that means "do not create on miss" (spec 4.5).
inline constexpr uint32_t kArithNoCreate = 0xffffffffu;

// The error bodies memcached 1.6.18 sends (proto_bin.c write_bin_error).
inline constexpr const char* kMsgNotFound = "Not found";
inline constexpr const char* kMsgExists = "Data exists for key.";
inline constexpr const char* kMsgTooLarge = "Too large.";
inline constexpr const char* kMsgInvalid = "Invalid arguments";
inline constexpr const char* kMsgNotStored = "Not stored.";
inline constexpr const char* kMsgNonNumeric = "Non-numeric server-side value for incr or decr";
inline constexpr const char* kMsgUnknownCommand = "Unknown command";
inline constexpr const char* kMsgNoMemory = "Out of memory";
inline constexpr const char* kMsgAuthError = "Auth failure.";

// The generic body memcached pairs with `status` in write_bin_error (empty for success).
const char* StatusMessage(Status status);

}  // namespace kmd::protocol::binary
