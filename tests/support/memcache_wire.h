// Hand-rolled memcached binary-protocol packets for tests that speak raw bytes. Deliberately
// independent of protocol/ so a codec bug cannot hide itself in the tests; the layout is the
// one in memcached's protocol_binary.h (24-byte header, big-endian fields). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kmd::test {

inline constexpr uint8_t kReqMagic = 0x80;
inline constexpr uint8_t kResMagic = 0x81;

// Binary opcodes used by the tests.
enum BinOp : uint8_t {
  kOpGet = 0x00,
  kOpSet = 0x01,
  kOpAdd = 0x02,
  kOpReplace = 0x03,
  kOpDelete = 0x04,
  kOpIncrement = 0x05,
  kOpDecrement = 0x06,
  kOpQuit = 0x07,
  kOpFlush = 0x08,
  kOpGetQ = 0x09,
  kOpNoop = 0x0a,
  kOpVersion = 0x0b,
  kOpGetK = 0x0c,
  kOpGetKQ = 0x0d,
  kOpAppend = 0x0e,
  kOpPrepend = 0x0f,
  kOpStat = 0x10,
  kOpSetQ = 0x11,
  kOpTouch = 0x1c,
  kOpGat = 0x1d,
};

// Binary status codes used by the tests.
enum BinStatus : uint16_t {
  kStatusOk = 0x00,
  kStatusKeyNotFound = 0x01,
  kStatusKeyExists = 0x02,
  kStatusTooLarge = 0x03,
  kStatusInvalid = 0x04,
  kStatusNotStored = 0x05,
  kStatusNonNumeric = 0x06,
  kStatusUnknownCommand = 0x81,
};

void AppendBe16(std::string* out, uint16_t v);
void AppendBe32(std::string* out, uint32_t v);
void AppendBe64(std::string* out, uint64_t v);

// A request packet; body length is computed from the parts.
std::string BinaryRequest(uint8_t opcode, std::string_view key = {}, std::string_view extras = {},
                          std::string_view value = {}, uint32_t opaque = 0, uint64_t cas = 0);

// Just the 24-byte header, with an arbitrary (possibly lying) body length.
std::string BinaryHeader(uint8_t opcode, uint16_t key_len, uint8_t extras_len, uint32_t body_len,
                         uint32_t opaque = 0, uint64_t cas = 0);

// Extras of Set/Add/Replace: flags, expiration.
std::string SetExtras(uint32_t flags, uint32_t exptime);

struct BinaryResponse {
  bool valid = false;  // false if the packet is shorter than its header says
  uint8_t magic = 0;
  uint8_t opcode = 0;
  uint16_t status = 0;
  uint32_t opaque = 0;
  uint64_t cas = 0;
  std::string extras;
  std::string key;
  std::string value;
};

BinaryResponse ParseBinaryResponse(std::string_view packet);

// Printable rendering of raw bytes (\r, \n, \xNN) for failure messages.
std::string Escape(std::string_view bytes, size_t max_len = 400);

}  // namespace kmd::test
