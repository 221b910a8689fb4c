// Binary packet builders and parser for tests; see memcache_wire.h.
#include "tests/support/memcache_wire.h"

#include <cstdio>

namespace kmd::test {

void AppendBe16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}

void AppendBe32(std::string* out, uint32_t v) {
  AppendBe16(out, static_cast<uint16_t>(v >> 16));
  AppendBe16(out, static_cast<uint16_t>(v));
}

void AppendBe64(std::string* out, uint64_t v) {
  AppendBe32(out, static_cast<uint32_t>(v >> 32));
  AppendBe32(out, static_cast<uint32_t>(v));
}

std::string BinaryHeader(uint8_t opcode, uint16_t key_len, uint8_t extras_len, uint32_t body_len,
                         uint32_t opaque, uint64_t cas) {
  std::string h;
  h.push_back(static_cast<char>(kReqMagic));
  h.push_back(static_cast<char>(opcode));
  AppendBe16(&h, key_len);
  h.push_back(static_cast<char>(extras_len));
  h.push_back(0);     // data type
  AppendBe16(&h, 0);  // vbucket
  AppendBe32(&h, body_len);
  AppendBe32(&h, opaque);
  AppendBe64(&h, cas);
  return h;
}

std::string BinaryRequest(uint8_t opcode, std::string_view key, std::string_view extras,
                          std::string_view value, uint32_t opaque, uint64_t cas) {
  std::string p =
      BinaryHeader(opcode, static_cast<uint16_t>(key.size()), static_cast<uint8_t>(extras.size()),
                   static_cast<uint32_t>(extras.size() + key.size() + value.size()), opaque, cas);
  p.append(extras);
  p.append(key);
  p.append(value);
  return p;
}

std::string SetExtras(uint32_t flags, uint32_t exptime) {
  std::string e;
  AppendBe32(&e, flags);
  AppendBe32(&e, exptime);
  return e;
}

BinaryResponse ParseBinaryResponse(std::string_view p) {
  BinaryResponse r;
  if (p.size() < 24) return r;
  auto u = [&](size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(p[i])); };
  r.magic = static_cast<uint8_t>(u(0));
  r.opcode = static_cast<uint8_t>(u(1));
  const size_t key_len = (u(2) << 8) | u(3);
  const size_t extras_len = u(4);
  r.status = static_cast<uint16_t>((u(6) << 8) | u(7));
  const size_t body = (u(8) << 24) | (u(9) << 16) | (u(10) << 8) | u(11);
  r.opaque = static_cast<uint32_t>((u(12) << 24) | (u(13) << 16) | (u(14) << 8) | u(15));
  for (size_t i = 16; i < 24; ++i) r.cas = (r.cas << 8) | u(i);
  if (p.size() < 24 + body || key_len + extras_len > body) return r;
  r.extras = std::string(p.substr(24, extras_len));
  r.key = std::string(p.substr(24 + extras_len, key_len));
  r.value = std::string(p.substr(24 + extras_len + key_len, body - extras_len - key_len));
  r.valid = true;
  return r;
}

std::string Escape(std::string_view bytes, size_t max_len) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max_len; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (bytes.size() > max_len) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

}  // namespace kmd::test
