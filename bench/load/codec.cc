// Request composers and incremental reply parsers for kmd-load (see codec.h). The binary layout
// follows memcached's protocol_binary.h; meta follows memcached 1.6.18's protocol.txt
// ("ms <key> <datalen> <flags>"); RESP follows redis.io/docs/reference/protocol-spec.
#include "bench/load/codec.h"

#include <charconv>
#include <cstring>

namespace kmd::bench {
namespace {

// memcached binary protocol constants (protocol_binary.h).
constexpr uint8_t kMagicRequest = 0x80;
constexpr uint8_t kMagicResponse = 0x81;
constexpr uint8_t kOpGet = 0x00;
constexpr uint8_t kOpSet = 0x01;
constexpr uint8_t kOpNoop = 0x0a;
constexpr uint8_t kOpGetKQ = 0x0d;
constexpr uint16_t kStatusOk = 0x0000;
constexpr uint16_t kStatusKeyNotFound = 0x0001;
constexpr size_t kBinaryHeader = 24;

void Put16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v);
}
void Put32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}
uint16_t Get16(const char* p) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}
uint32_t Get32(const char* p) {
  return (uint32_t{static_cast<uint8_t>(p[0])} << 24) |
         (uint32_t{static_cast<uint8_t>(p[1])} << 16) |
         (uint32_t{static_cast<uint8_t>(p[2])} << 8) | uint32_t{static_cast<uint8_t>(p[3])};
}

char* BinaryHeader(char* p, uint8_t opcode, uint16_t key_len, uint8_t extras_len,
                   uint32_t body_len) {
  std::memset(p, 0, kBinaryHeader);
  p[0] = static_cast<char>(kMagicRequest);
  p[1] = static_cast<char>(opcode);
  Put16(p + 2, key_len);
  p[4] = static_cast<char>(extras_len);
  Put32(p + 8, body_len);
  return p + kBinaryHeader;
}

char* Append(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}
char* AppendNum(char* p, uint64_t v) { return std::to_chars(p, p + 20, v).ptr; }

// RESP bulk string: $<len>\r\n<bytes>\r\n
char* AppendBulk(char* p, const char* data, size_t len) {
  *p++ = '$';
  p = AppendNum(p, len);
  p = Append(p, "\r\n");
  std::memcpy(p, data, len);
  p += len;
  return Append(p, "\r\n");
}

// A CRLF-terminated line at the start of data; returns its length without CRLF or npos.
size_t LineEnd(const char* data, size_t len) {
  const void* nl = std::memchr(data, '\n', len);
  if (nl == nullptr) return std::string_view::npos;
  size_t at = static_cast<const char*>(nl) - data;
  if (at == 0 || data[at - 1] != '\r') return std::string_view::npos - 1;  // bare LF: bad
  return at - 1;
}

constexpr size_t kNoLine = std::string_view::npos;
constexpr size_t kBadLine = std::string_view::npos - 1;
// A text line longer than this without CRLF cannot be a memcached or RESP status line.
constexpr size_t kMaxLine = 2048;

bool ParseUint(std::string_view s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// The n-th space-separated token of a line (0-based), or empty.
std::string_view Token(std::string_view line, int n) {
  size_t pos = 0;
  for (int i = 0; i <= n; ++i) {
    while (pos < line.size() && line[pos] == ' ') ++pos;
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    if (i == n) return line.substr(pos, end - pos);
    pos = end;
  }
  return {};
}

bool IsErrorLine(std::string_view line) {
  return line == "ERROR" || line.starts_with("CLIENT_ERROR") || line.starts_with("SERVER_ERROR");
}

ParseStatus ParseBinary(const char* data, size_t len, Pending& p, size_t& consumed) {
  for (;;) {
    if (len - consumed < kBinaryHeader) return ParseStatus::kNeedMore;
    const char* h = data + consumed;
    if (static_cast<uint8_t>(h[0]) != kMagicResponse) return ParseStatus::kBad;
    uint8_t op = static_cast<uint8_t>(h[1]);
    uint16_t status = Get16(h + 6);
    size_t total = kBinaryHeader + Get32(h + 8);
    if (len - consumed < total) return ParseStatus::kNeedMore;
    consumed += total;
    if (p.kind == RequestKind::kSet) {
      if (op != kOpSet) return ParseStatus::kBad;
      p.error = status != kStatusOk;
      return ParseStatus::kComplete;
    }
    if (p.keys == 1) {
      if (op != kOpGet) return ParseStatus::kBad;
      if (status == kStatusOk)
        ++p.hits;
      else if (status != kStatusKeyNotFound)
        p.error = true;
      return ParseStatus::kComplete;
    }
    // Multi-get: quiet GetKQ replies for hits only, then the Noop that closes the batch.
    if (op == kOpNoop) return ParseStatus::kComplete;
    if (op != kOpGetKQ) return ParseStatus::kBad;
    if (status == kStatusOk) {
      if (++p.hits > p.keys) return ParseStatus::kBad;
    } else {
      p.error = true;
    }
  }
}

// Text and meta share the shape "line [data CRLF]"; `meta` picks the vocabulary.
ParseStatus ParseTextual(bool meta, const char* data, size_t len, Pending& p, size_t& consumed) {
  for (;;) {
    const char* at = data + consumed;
    size_t avail = len - consumed;
    size_t line_len = LineEnd(at, avail);
    if (line_len == kBadLine) return ParseStatus::kBad;
    if (line_len == kNoLine) return avail > kMaxLine ? ParseStatus::kBad : ParseStatus::kNeedMore;
    std::string_view line(at, line_len);
    size_t line_total = line_len + 2;
    if (p.kind == RequestKind::kSet) {
      consumed += line_total;
      if (meta ? line == "HD" : line == "STORED") return ParseStatus::kComplete;
      // NOT_STORED / NS, SERVER_ERROR out of memory, CLIENT_ERROR: in sync, but a failure.
      if (IsErrorLine(line) || line == "NOT_STORED" || line == "NS" || line == "EXISTS" ||
          line == "NOT_FOUND") {
        p.error = true;
        return ParseStatus::kComplete;
      }
      return ParseStatus::kBad;
    }
    bool value_line = meta ? line.starts_with("VA ") : line.starts_with("VALUE ");
    if (value_line) {
      uint64_t bytes = 0;
      if (!ParseUint(Token(line, meta ? 1 : 3), bytes)) return ParseStatus::kBad;
      if (avail < line_total + bytes + 2) return ParseStatus::kNeedMore;
      if (at[line_total + bytes] != '\r' || at[line_total + bytes + 1] != '\n')
        return ParseStatus::kBad;
      consumed += line_total + bytes + 2;
      if (++p.hits > p.keys) return ParseStatus::kBad;
      if (meta && p.keys == 1) return ParseStatus::kComplete;
      continue;
    }
    consumed += line_total;
    if (!meta && line == "END") return ParseStatus::kComplete;
    if (meta && p.keys == 1 && line == "EN") return ParseStatus::kComplete;
    if (meta && p.keys > 1 && line == "MN") return ParseStatus::kComplete;
    if (IsErrorLine(line)) {
      // memcached answers a failed get with one error line instead of the END-terminated list.
      p.error = true;
      return ParseStatus::kComplete;
    }
    return ParseStatus::kBad;
  }
}

ParseStatus ParseResp(const char* data, size_t len, Pending& p, size_t& consumed) {
  for (;;) {
    const char* at = data + consumed;
    size_t avail = len - consumed;
    size_t line_len = LineEnd(at, avail);
    if (line_len == kBadLine) return ParseStatus::kBad;
    if (line_len == kNoLine) return avail > kMaxLine ? ParseStatus::kBad : ParseStatus::kNeedMore;
    std::string_view line(at, line_len);
    size_t line_total = line_len + 2;
    if (line.empty()) return ParseStatus::kBad;
    if (line[0] == '-') {  // an error reply replaces the whole reply, even an MGET array
      if (p.remaining > 0) return ParseStatus::kBad;
      consumed += line_total;
      p.error = true;
      return ParseStatus::kComplete;
    }
    if (p.kind == RequestKind::kSet) {
      consumed += line_total;
      if (line == "+OK") return ParseStatus::kComplete;
      return ParseStatus::kBad;
    }
    bool multi = p.keys > 1;
    if (multi && p.remaining < 0) {
      uint64_t n = 0;
      if (line[0] != '*' || !ParseUint(line.substr(1), n) || n != p.keys) return ParseStatus::kBad;
      consumed += line_total;
      p.remaining = static_cast<int64_t>(n);
      continue;
    }
    if (line[0] != '$') return ParseStatus::kBad;
    if (line == "$-1") {
      consumed += line_total;
    } else {
      uint64_t bytes = 0;
      if (!ParseUint(line.substr(1), bytes)) return ParseStatus::kBad;
      if (avail < line_total + bytes + 2) return ParseStatus::kNeedMore;
      consumed += line_total + bytes + 2;
      ++p.hits;
    }
    if (!multi || --p.remaining == 0) return ParseStatus::kComplete;
  }
}

}  // namespace

ParseStatus ParseReply(Protocol proto, const char* data, size_t len, Pending& p, size_t& consumed) {
  consumed = 0;
  switch (proto) {
    case Protocol::kBinary:
      return ParseBinary(data, len, p, consumed);
    case Protocol::kText:
      return ParseTextual(false, data, len, p, consumed);
    case Protocol::kMeta:
      return ParseTextual(true, data, len, p, consumed);
    case Protocol::kResp:
      return ParseResp(data, len, p, consumed);
  }
  return ParseStatus::kBad;
}

size_t MaxSetRequestSize(size_t key_len, size_t value_len) { return key_len + value_len + 128; }

size_t MaxGetRequestSize(size_t key_len, size_t keys) {
  return keys * (key_len + kBinaryHeader + 16) + 64;
}

size_t ComposeSet(Protocol proto, char* out, std::string_view key, const char* value,
                  uint32_t value_len, uint32_t expiry) {
  char* p = out;
  switch (proto) {
    case Protocol::kBinary:
      p = BinaryHeader(p, kOpSet, static_cast<uint16_t>(key.size()), 8,
                       static_cast<uint32_t>(8 + key.size() + value_len));
      Put32(p, 0);  // flags
      Put32(p + 4, expiry);
      p = Append(p + 8, key);
      std::memcpy(p, value, value_len);
      p += value_len;
      break;
    case Protocol::kText:
      p = Append(p, "set ");
      p = Append(p, key);
      p = Append(p, " 0 ");
      p = AppendNum(p, expiry);
      *p++ = ' ';
      p = AppendNum(p, value_len);
      p = Append(p, "\r\n");
      std::memcpy(p, value, value_len);
      p = Append(p + value_len, "\r\n");
      break;
    case Protocol::kMeta:
      p = Append(p, "ms ");
      p = Append(p, key);
      *p++ = ' ';
      p = AppendNum(p, value_len);
      if (expiry != 0) {
        p = Append(p, " T");
        p = AppendNum(p, expiry);
      }
      p = Append(p, "\r\n");
      std::memcpy(p, value, value_len);
      p = Append(p + value_len, "\r\n");
      break;
    case Protocol::kResp:
      p = Append(p, expiry != 0 ? "*5\r\n$3\r\nSET\r\n" : "*3\r\n$3\r\nSET\r\n");
      p = AppendBulk(p, key.data(), key.size());
      p = AppendBulk(p, value, value_len);
      if (expiry != 0) {
        char num[16];
        size_t n = std::to_chars(num, num + sizeof(num), expiry).ptr - num;
        p = Append(p, "$2\r\nEX\r\n");
        p = AppendBulk(p, num, n);
      }
      break;
  }
  return p - out;
}

size_t ComposeGet(Protocol proto, char* out, const std::string_view* keys, uint32_t n) {
  char* p = out;
  switch (proto) {
    case Protocol::kBinary:
      if (n == 1) {
        p = BinaryHeader(p, kOpGet, static_cast<uint16_t>(keys[0].size()), 0,
                         static_cast<uint32_t>(keys[0].size()));
        p = Append(p, keys[0]);
        break;
      }
      for (uint32_t i = 0; i < n; ++i) {
        p = BinaryHeader(p, kOpGetKQ, static_cast<uint16_t>(keys[i].size()), 0,
                         static_cast<uint32_t>(keys[i].size()));
        p = Append(p, keys[i]);
      }
      p = BinaryHeader(p, kOpNoop, 0, 0, 0);
      break;
    case Protocol::kText:
      p = Append(p, "get");
      for (uint32_t i = 0; i < n; ++i) {
        *p++ = ' ';
        p = Append(p, keys[i]);
      }
      p = Append(p, "\r\n");
      break;
    case Protocol::kMeta:
      // Single: "mg k v" answers VA or EN. Batch: quiet mode (q) suppresses EN misses and the
      // trailing mn's MN marks the end, the meta protocol's own multi-get idiom.
      for (uint32_t i = 0; i < n; ++i) {
        p = Append(p, "mg ");
        p = Append(p, keys[i]);
        p = Append(p, n == 1 ? " v\r\n" : " v q\r\n");
      }
      if (n > 1) p = Append(p, "mn\r\n");
      break;
    case Protocol::kResp:
      *p++ = '*';
      p = AppendNum(p, n + 1);
      p = Append(p, n == 1 ? "\r\n$3\r\nGET\r\n" : "\r\n$4\r\nMGET\r\n");
      for (uint32_t i = 0; i < n; ++i) p = AppendBulk(p, keys[i].data(), keys[i].size());
      break;
  }
  return p - out;
}

size_t FormatKey(char* out, std::string_view prefix, uint64_t index, uint32_t key_size) {
  char digits[24];
  size_t nd = std::to_chars(digits, digits + sizeof(digits), index).ptr - digits;
  char* p = Append(out, prefix);
  size_t pad = key_size > prefix.size() + nd ? key_size - prefix.size() - nd : 0;
  std::memset(p, '0', pad);
  p += pad;
  std::memcpy(p, digits, nd);
  return prefix.size() + pad + nd;
}

}  // namespace kmd::bench
