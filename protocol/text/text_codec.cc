// The text/meta parser: memcached 1.6.18's try_read_command_ascii, tokenize_command and
// process_*_command argument checks, reproduced as a pure function over a byte span.
// Stateless and allocation-free; see text_codec.h for the contract.
#include "protocol/text/text_codec.h"

#include <charconv>
#include <cstring>
#include <limits>

namespace kmd::protocol::text {
namespace {

constexpr std::string_view kError = "ERROR";
constexpr std::string_view kBadFormat = "CLIENT_ERROR bad command line format";
constexpr std::string_view kBadExptime = "CLIENT_ERROR invalid exptime argument";
constexpr std::string_view kBadDelta = "CLIENT_ERROR invalid numeric delta argument";
constexpr std::string_view kBadDataChunk = "CLIENT_ERROR bad data chunk";
constexpr std::string_view kTooLarge = "SERVER_ERROR object too large for cache";
constexpr std::string_view kDeleteUsage =
    "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]";
constexpr std::string_view kBadToken = "CLIENT_ERROR bad token in command line format";
constexpr std::string_view kOpaqueTooLong = "CLIENT_ERROR opaque token too long";

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// strtoull-style scan: leading whitespace, optional sign, at least one digit, then the token must
// end or continue with whitespace (memcached's xisspace(*endptr) check).
bool Scan(std::string_view s, bool* neg, uint64_t* mag) {
  size_t i = 0;
  while (i < s.size() && IsSpace(s[i])) ++i;
  *neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    *neg = s[i] == '-';
    ++i;
  }
  size_t digits_start = i;
  uint64_t v = 0;
  bool overflow = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) overflow = true;
    v = v * 10 + d;
    ++i;
  }
  if (i == digits_start || overflow) return false;  // str == endptr, or ERANGE
  if (i < s.size() && !IsSpace(s[i])) return false;
  *mag = v;
  return true;
}

bool Starts(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

ParseResult Bad(size_t consumed, std::string_view error) {
  ParseResult r;
  r.outcome = ParseOutcome::kBad;
  r.consumed = consumed;
  r.error = error;
  return r;
}

// out_string() under noreply sends nothing.
ParseResult BadUnlessNoreply(size_t consumed, std::string_view error, bool noreply) {
  return Bad(consumed, noreply ? std::string_view() : error);
}

// memcached (proto_text.c) hangs up without a reply on an unknown command whose last token starts
// with "HTTP/": a web client that reached the cache port should not get an answer it may parse.
ParseResult UnknownCommand(size_t consumed, std::string_view last_token) {
  ParseResult r = Bad(consumed, kError);
  if (Starts(last_token, "HTTP/")) {
    r.error = {};
    r.close = true;
  }
  return r;
}

ParseResult Complete(size_t consumed) {
  ParseResult r;
  r.outcome = ParseOutcome::kComplete;
  r.consumed = consumed;
  return r;
}

// memcached tokenize_command(): split on ' ' only; after kMaxTokens - 1 tokens the remainder is
// left unsplit (only the get family continues into it).
size_t Tokenize(std::string_view line, std::array<std::string_view, kMaxTokens>* tokens,
                std::string_view* rest) {
  size_t n = 0;
  size_t s = 0;
  size_t e = 0;
  *rest = {};
  for (; e < line.size(); ++e) {
    if (line[e] == ' ') {
      if (s != e) {
        (*tokens)[n++] = line.substr(s, e - s);
        if (n == kMaxTokens - 1) {
          *rest = line.substr(e + 1);
          return n;
        }
      }
      s = e + 1;
    }
  }
  if (s != e) (*tokens)[n++] = line.substr(s, e - s);
  return n;
}

// Validates the data block of a storage command; `line_consumed` is the end of its line.
ParseResult TakeData(std::string_view in, size_t line_consumed, size_t vlen, bool noreply,
                     Request* req) {
  size_t need = line_consumed + vlen + 2;
  if (in.size() < need) return ParseResult{};
  if (in[need - 2] != '\r' || in[need - 1] != '\n') {
    return BadUnlessNoreply(need, kBadDataChunk, noreply);
  }
  req->data = in.substr(line_consumed, vlen);
  return Complete(need);
}

ParseResult ParseUpdate(std::string_view in, size_t consumed, const Limits& limits, size_t n,
                        bool with_cas, Request* req) {
  const auto& t = req->tokens;
  req->noreply = t[n - 1] == "noreply";
  req->raw_key = t[1];
  if (t[1].size() > limits.max_key) return BadUnlessNoreply(consumed, kBadFormat, req->noreply);
  int32_t vlen = 0;
  if (!ParseUint32(t[2], &req->flags) || !ParseInt32(t[3], &req->exptime) ||
      !ParseInt32(t[4], &vlen)) {
    return BadUnlessNoreply(consumed, kBadFormat, req->noreply);
  }
  if (with_cas && !ParseUint64(t[5], &req->number)) {
    return BadUnlessNoreply(consumed, kBadFormat, req->noreply);
  }
  if (vlen < 0 || vlen > std::numeric_limits<int32_t>::max() - 2) {
    return BadUnlessNoreply(consumed, kBadFormat, req->noreply);
  }
  if (static_cast<size_t>(vlen) > limits.max_value) {
    ParseResult r = BadUnlessNoreply(consumed, kTooLarge, req->noreply);
    r.swallow = static_cast<size_t>(vlen) + 2;
    r.too_large = true;
    return r;
  }
  return TakeData(in, consumed, static_cast<size_t>(vlen), req->noreply, req);
}

ParseResult ParseGet(std::string_view line, size_t consumed, const Limits& limits, size_t n,
                     bool touch, Request* req) {
  const auto& t = req->tokens;
  size_t first_key = 1;
  if (touch) {
    if (!ParseInt32(t[1], &req->exptime)) return Bad(consumed, kBadExptime);
    first_key = 2;
  }
  if (first_key < n) {
    req->keys = line.substr(static_cast<size_t>(t[first_key].data() - line.data()));
  }
  // memcached answers a long key in a multi-get with this error alone (earlier hits dropped), so
  // checking every key up front gives the same bytes.
  KeyIterator it(req->keys);
  std::string_view key;
  bool first = true;
  while (it.Next(&key)) {
    if (first) req->raw_key = key;
    first = false;
    if (key.size() > limits.max_key) return Bad(consumed, kBadFormat);
  }
  return Complete(consumed);
}

// memcached _meta_flag_preparse(): flags after `start`; returns the error reply or empty.
std::string_view PreparseMeta(Request* req, size_t start, size_t n) {
  MetaArgs& m = req->meta;
  bool seen[127] = {};
  bool has_error = false;
  std::string_view err = kBadFormat;
  for (size_t i = start; i < n; ++i) {
    std::string_view tok = req->tokens[i];
    auto o = static_cast<uint8_t>(tok[0]);
    if (o >= 127 || seen[o]) return "CLIENT_ERROR duplicate flag";
    seen[o] = true;
    std::string_view arg = tok.substr(1);
    if (m.count < kMaxMetaFlags) m.flags[m.count++] = MetaFlag{tok[0], arg};
    switch (o) {
      case 'b': {
        size_t len = Base64Decode(req->raw_key, req->key_buf_.data(), req->raw_key.size());
        req->key_decoded_ = true;
        req->key_len_ = len;
        m.base64_key = true;
        if (len == 0) {
          err = "CLIENT_ERROR error decoding key";
          has_error = true;
        }
        break;
      }
      case 'N':
        m.vivify = true;
        if (!ParseInt32(arg, &m.vivify_ttl)) {
          err = kBadToken;
          has_error = true;
        }
        break;
      case 'T':
        if (!ParseInt32(arg, &m.ttl)) {
          err = kBadToken;
          has_error = true;
        } else {
          m.has_ttl = true;
        }
        break;
      case 'R':
        if (!ParseInt32(arg, &m.recache_ttl)) {
          err = kBadToken;
          has_error = true;
        } else {
          m.has_recache = true;
        }
        break;
      case 'l':
      case 'O':
      case 'P':
      case 'L':
      case 'k':
      case 's':
      case 't':
      case 'c':
      case 'f':
      case 'h':
        break;
      case 'v':
        m.value = true;
        break;
      case 'u':
        m.no_update = true;
        break;
      case 'q':
        m.no_reply = true;
        break;
      case 'F':
        // memcached sets has_error without a message of its own here.
        if (!ParseUint32(arg, &m.client_flags)) has_error = true;
        break;
      case 'C':
        if (!ParseUint64(arg, &m.cas)) {
          err = kBadToken;
          has_error = true;
        } else {
          m.has_cas = true;
        }
        break;
      case 'E':  // later memcached: explicit new CAS value
        if (!ParseUint64(arg, &m.new_cas)) {
          err = kBadToken;
          has_error = true;
        } else {
          m.has_new_cas = true;
        }
        break;
      case 'M':
        if (tok.size() != 2) {
          err = "CLIENT_ERROR incorrect length for M token";
          has_error = true;
        } else {
          m.mode = tok[1];
        }
        break;
      case 'J':
        if (!ParseUint64(arg, &m.initial)) {
          err = "CLIENT_ERROR invalid numeric initial value";
          has_error = true;
        }
        break;
      case 'D':
        if (!ParseUint64(arg, &m.delta)) {
          err = "CLIENT_ERROR invalid numeric delta value";
          has_error = true;
        }
        break;
      case 'I':
        m.set_stale = true;
        break;
      case 'x':  // later memcached: md removes the value but keeps the item
        m.remove_value = true;
        break;
      default:
        return "CLIENT_ERROR invalid flag";
    }
  }
  return has_error ? err : std::string_view();
}

bool OpaqueTooLong(const MetaArgs& m) {
  for (uint8_t i = 0; i < m.count; ++i) {
    if (m.flags[i].flag == 'O' && m.flags[i].token.size() + 1 > kMaxOpaqueLength) return true;
  }
  return false;
}

ParseResult ParseMeta(std::string_view in, size_t consumed, const Limits& limits, size_t n,
                      Request* req) {
  const auto& t = req->tokens;
  char sub = t[0][1];
  if (sub == 'n') {
    req->command = Command::kMetaNoop;
    return Complete(consumed);
  }
  if (sub == 'e') {
    req->command = Command::kMetaDebug;
    if (n < 2 || t[1].size() > limits.max_key) return Bad(consumed, kBadFormat);
    req->raw_key = t[1];
    if (n >= 3 && t[2] == "b") {
      size_t len = Base64Decode(t[1], req->key_buf_.data(), t[1].size());
      if (len == 0) return Bad(consumed, kBadFormat);
      req->key_decoded_ = true;
      req->key_len_ = len;
      req->meta.base64_key = true;
    }
    return Complete(consumed);
  }
  switch (sub) {
    case 'g':
      req->command = Command::kMetaGet;
      break;
    case 's':
      req->command = Command::kMetaSet;
      break;
    case 'd':
      req->command = Command::kMetaDelete;
      break;
    case 'a':
      req->command = Command::kMetaArithmetic;
      break;
    default:
      req->command = Command::kNone;
      return Bad(consumed, kError);
  }
  if (n < 2) return Bad(consumed, kError);
  req->raw_key = t[1];
  if (t[1].size() > limits.max_key) return Bad(consumed, kBadFormat);
  size_t ntokens = n + 1;  // memcached counts its terminal token

  if (sub == 'g') {
    if (ntokens > kMaxMetaTokens) return Bad(consumed, "CLIENT_ERROR options flags are too long");
    std::string_view err = PreparseMeta(req, 2, n);
    if (!err.empty()) return Bad(consumed, err);
    if (OpaqueTooLong(req->meta)) return Bad(consumed, kOpaqueTooLong);
    return Complete(consumed);
  }
  if (sub == 's') {
    if (n == 2) return Bad(consumed, kBadFormat);
    if (ntokens > kMaxMetaTokens) return Bad(consumed, "CLIENT_ERROR options flags too long");
    int32_t vlen = 0;
    if (!ParseInt32(t[2], &vlen) || vlen < 0 || vlen > std::numeric_limits<int32_t>::max() - 2) {
      return Bad(consumed, kBadFormat);
    }
    // From here on memcached swallows the data block after an error.
    size_t block = static_cast<size_t>(vlen) + 2;
    auto swallow = [&](std::string_view e) {
      ParseResult r = Bad(consumed, e);
      r.swallow = block;
      return r;
    };
    std::string_view err = PreparseMeta(req, 3, n);
    if (!err.empty()) return swallow(err);
    switch (req->meta.mode) {
      case 0:
      case 'E':
      case 'A':
      case 'P':
      case 'R':
      case 'S':
        break;
      default:
        return swallow("CLIENT_ERROR invalid mode for ms M token");
    }
    if (OpaqueTooLong(req->meta)) return swallow(kOpaqueTooLong);
    if (static_cast<size_t>(vlen) > limits.max_value) {
      ParseResult r = swallow(kTooLarge);
      r.too_large = true;
      return r;
    }
    // mset errors are never suppressed by q.
    return TakeData(in, consumed, static_cast<size_t>(vlen), false, req);
  }
  // md, ma
  if (ntokens > kMaxMetaTokens) return Bad(consumed, "CLIENT_ERROR options flags too long");
  if (!PreparseMeta(req, 2, n).empty()) {
    return Bad(consumed, "CLIENT_ERROR invalid or duplicate flag");
  }
  if (sub == 'a') {
    switch (req->meta.mode) {
      case 0:
      case 'I':
      case '+':
      case 'D':
      case '-':
        break;
      default:
        return Bad(consumed, "CLIENT_ERROR invalid mode for ma M token");
    }
  }
  if (OpaqueTooLong(req->meta)) return Bad(consumed, kOpaqueTooLong);
  return Complete(consumed);
}

}  // namespace

bool KeyIterator::Next(std::string_view* key) {
  size_t i = 0;
  while (i < rest_.size() && rest_[i] == ' ') ++i;
  if (i == rest_.size()) {
    rest_ = {};
    return false;
  }
  size_t j = i;
  while (j < rest_.size() && rest_[j] != ' ') ++j;
  *key = rest_.substr(i, j - i);
  rest_ = rest_.substr(j);
  return true;
}

bool ParseInt32(std::string_view token, int32_t* out) {
  bool neg = false;
  uint64_t mag = 0;
  if (!Scan(token, &neg, &mag)) return false;
  constexpr uint64_t kMaxPos = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (neg ? mag > kMaxPos + 1 : mag > kMaxPos) return false;  // strtol ERANGE
  uint64_t v = neg ? (~mag + 1) : mag;
  *out = static_cast<int32_t>(static_cast<uint32_t>(v));  // memcached's truncating cast
  return true;
}

bool ParseUint64(std::string_view token, uint64_t* out) {
  bool neg = false;
  uint64_t mag = 0;
  if (!Scan(token, &neg, &mag)) return false;
  uint64_t v = neg ? (~mag + 1) : mag;
  // memcached rejects a '-' only when the result looks negative as a signed number.
  if (static_cast<int64_t>(v) < 0 && neg) return false;
  *out = v;
  return true;
}

bool ParseUint32(std::string_view token, uint32_t* out) {
  uint64_t v = 0;
  if (!ParseUint64(token, &v)) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

namespace {
constexpr char kB64Table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 0x80;
  for (uint8_t i = 0; i < 64; ++i) t[static_cast<uint8_t>(kB64Table[i])] = i;
  t['='] = 0;
  return t;
}
constexpr std::array<uint8_t, 256> kB64Decode = MakeDecodeTable();
}  // namespace

size_t Base64Decode(std::string_view in, char* out, size_t out_len) {
  size_t count = 0;
  for (char c : in) {
    if (kB64Decode[static_cast<uint8_t>(c)] != 0x80) ++count;
  }
  if (count == 0 || count % 4 != 0) return 0;
  if (count / 4 * 3 > out_len) return 0;
  // Decode into a scratch block first so that in-place use (out == in) stays correct.
  uint8_t block[4];
  size_t pos = 0;
  int pad = 0;
  count = 0;
  for (char c : in) {
    uint8_t v = kB64Decode[static_cast<uint8_t>(c)];
    if (v == 0x80) continue;
    if (c == '=') ++pad;
    block[count++] = v;
    if (count == 4) {
      out[pos++] = static_cast<char>((block[0] << 2) | (block[1] >> 4));
      out[pos++] = static_cast<char>((block[1] << 4) | (block[2] >> 2));
      out[pos++] = static_cast<char>((block[2] << 6) | block[3]);
      count = 0;
      if (pad) {
        if (pad == 1) {
          pos -= 1;
        } else if (pad == 2) {
          pos -= 2;
        } else {
          return 0;
        }
        break;
      }
    }
  }
  return pos;
}

size_t Base64Encode(std::string_view in, char* out) {
  auto u = [&](size_t i) { return static_cast<uint8_t>(in[i]); };
  size_t pos = 0;
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    out[pos++] = kB64Table[u(i) >> 2];
    out[pos++] = kB64Table[((u(i) & 0x03) << 4) | (u(i + 1) >> 4)];
    out[pos++] = kB64Table[((u(i + 1) & 0x0f) << 2) | (u(i + 2) >> 6)];
    out[pos++] = kB64Table[u(i + 2) & 0x3f];
  }
  if (i < in.size()) {
    out[pos++] = kB64Table[u(i) >> 2];
    if (in.size() - i == 1) {
      out[pos++] = kB64Table[(u(i) & 0x03) << 4];
      out[pos++] = '=';
    } else {
      out[pos++] = kB64Table[((u(i) & 0x03) << 4) | (u(i + 1) >> 4)];
      out[pos++] = kB64Table[(u(i + 1) & 0x0f) << 2];
    }
    out[pos++] = '=';
  }
  return pos;
}

char* WriteU64(char* out, uint64_t v) { return std::to_chars(out, out + 20, v).ptr; }
char* WriteI64(char* out, int64_t v) { return std::to_chars(out, out + 20, v).ptr; }

char* WriteValueLine(char* out, std::string_view key, uint32_t flags, size_t bytes,
                     const uint64_t* cas) {
  std::memcpy(out, "VALUE ", 6);
  out += 6;
  std::memcpy(out, key.data(), key.size());
  out += key.size();
  *out++ = ' ';
  out = WriteU64(out, flags);
  *out++ = ' ';
  out = WriteU64(out, bytes);
  if (cas != nullptr) {
    *out++ = ' ';
    out = WriteU64(out, *cas);
  }
  *out++ = '\r';
  *out++ = '\n';
  return out;
}

MetaLine& MetaLine::Raw(std::string_view bytes) {
  size_t n = std::min(bytes.size(), kCapacity - 2 - len_);
  std::memcpy(buf_.data() + len_, bytes.data(), n);
  len_ += n;
  return *this;
}

MetaLine& MetaLine::Flag(char f) {
  char tmp[2] = {' ', f};
  return Raw(std::string_view(tmp, 2));
}

MetaLine& MetaLine::Flag(char f, uint64_t v) {
  char tmp[24] = {' ', f};
  char* end = WriteU64(tmp + 2, v);
  return Raw(std::string_view(tmp, static_cast<size_t>(end - tmp)));
}

MetaLine& MetaLine::FlagSigned(char f, int64_t v) {
  char tmp[24] = {' ', f};
  char* end = WriteI64(tmp + 2, v);
  return Raw(std::string_view(tmp, static_cast<size_t>(end - tmp)));
}

MetaLine& MetaLine::Opaque(std::string_view token) {
  Raw(" ");
  return Raw(token);
}

MetaLine& MetaLine::Key(std::string_view key, bool binary) {
  Raw(" k");
  if (!binary) return Raw(key);
  char tmp[Base64EncodedSize(256)];
  size_t n = Base64Encode(key.substr(0, 256), tmp);
  Raw(std::string_view(tmp, n));
  return Raw(" b");
}

std::string_view MetaLine::Finish() {
  buf_[len_++] = '\r';
  buf_[len_++] = '\n';
  return std::string_view(buf_.data(), len_);
}

ParseResult Parse(std::string_view in, const Limits& limits, Request* req) {
  *req = Request{};
  size_t nl = in.find('\n');
  if (nl == std::string_view::npos) {
    ParseResult r;
    if (in.size() > limits.max_line) {
      // Only a large multi-get may run past the line limit (memcached's rule).
      size_t p = 0;
      while (p < in.size() && in[p] == ' ') ++p;
      std::string_view rest = in.substr(p);
      bool is_get = p <= kMaxLeadingSpaces && (Starts(rest, "get ") || Starts(rest, "gets "));
      if (!is_get || in.size() > limits.max_multiget_line) {
        r.outcome = ParseOutcome::kBad;
        r.close = true;
      }
    }
    return r;
  }
  size_t consumed = nl + 1;
  size_t line_end = (nl > 1 && in[nl - 1] == '\r') ? nl - 1 : nl;
  std::string_view line = in.substr(0, line_end);
  // memcached handles the line as a C string: it ends at the first NUL.
  if (size_t z = line.find('\0'); z != std::string_view::npos) line = line.substr(0, z);

  std::string_view rest;
  size_t n = Tokenize(line, &req->tokens, &rest);
  req->ntokens = n;
  auto& t = req->tokens;
  if (n == 0) return Bad(consumed, kError);
  if (t[0].size() < 2) return UnknownCommand(consumed, t[n - 1]);
  std::string_view cmd = t[0];
  // memcached's token count includes a terminal token.
  size_t ntokens = n + 1;

  if (cmd[0] == 'm' && cmd.size() == 2) return ParseMeta(in, consumed, limits, n, req);

  auto want = [&](size_t a, size_t b) { return ntokens == a || ntokens == b; };
  auto noreply = [&]() { return t[n - 1] == "noreply"; };

  if (cmd[0] == 'g' || cmd == "bget") {
    if (ntokens < 3) return Bad(consumed, kError);
    bool touch = false;
    if (cmd == "get" || cmd == "bget") {
      req->command = Command::kGet;
    } else if (cmd == "gets") {
      req->command = Command::kGets;
    } else if (cmd == "gat") {
      req->command = Command::kGat;
      touch = true;
    } else if (cmd == "gats") {
      req->command = Command::kGats;
      touch = true;
    } else {
      return UnknownCommand(consumed, t[n - 1]);
    }
    return ParseGet(line, consumed, limits, n, touch, req);
  }

  struct Update {
    std::string_view name;
    Command command;
  };
  static constexpr Update kUpdates[] = {
      {"set", Command::kSet},       {"add", Command::kAdd},         {"replace", Command::kReplace},
      {"append", Command::kAppend}, {"prepend", Command::kPrepend}, {"cas", Command::kCas}};
  for (const Update& u : kUpdates) {
    if (cmd != u.name) continue;
    req->command = u.command;
    bool with_cas = u.command == Command::kCas;
    if (with_cas ? !want(7, 8) : !want(6, 7)) return Bad(consumed, kError);
    return ParseUpdate(in, consumed, limits, n, with_cas, req);
  }

  if (cmd == "incr" || cmd == "decr") {
    req->command = cmd == "incr" ? Command::kIncr : Command::kDecr;
    if (!want(4, 5)) return Bad(consumed, kError);
    req->noreply = noreply();
    req->raw_key = t[1];
    if (t[1].size() > limits.max_key) return BadUnlessNoreply(consumed, kBadFormat, req->noreply);
    if (!ParseUint64(t[2], &req->number)) {
      return BadUnlessNoreply(consumed, kBadDelta, req->noreply);
    }
    return Complete(consumed);
  }
  if (cmd == "delete") {
    req->command = Command::kDelete;
    if (ntokens < 3 || ntokens > 5) return Bad(consumed, kError);
    if (ntokens > 3) {
      bool hold_is_zero = t[2] == "0";
      req->noreply = noreply();
      bool valid = (ntokens == 4 && (hold_is_zero || req->noreply)) ||
                   (ntokens == 5 && hold_is_zero && req->noreply);
      if (!valid) return BadUnlessNoreply(consumed, kDeleteUsage, req->noreply);
    }
    req->raw_key = t[1];
    if (t[1].size() > limits.max_key) return BadUnlessNoreply(consumed, kBadFormat, req->noreply);
    return Complete(consumed);
  }
  if (cmd == "touch") {
    req->command = Command::kTouch;
    if (!want(4, 5)) return Bad(consumed, kError);
    req->noreply = noreply();
    req->raw_key = t[1];
    if (t[1].size() > limits.max_key) return BadUnlessNoreply(consumed, kBadFormat, req->noreply);
    if (!ParseInt32(t[2], &req->exptime)) {
      return BadUnlessNoreply(consumed, kBadExptime, req->noreply);
    }
    return Complete(consumed);
  }
  if (cmd == "flush_all") {
    req->command = Command::kFlushAll;
    if (ntokens < 2 || ntokens > 4) return Bad(consumed, kError);
    req->noreply = noreply();
    if (ntokens != (req->noreply ? 3u : 2u)) {
      if (!ParseInt32(t[1], &req->exptime)) {
        return BadUnlessNoreply(consumed, kBadExptime, req->noreply);
      }
      req->has_exptime = true;
    }
    return Complete(consumed);
  }
  if (cmd == "version") {
    req->command = Command::kVersion;
    return Complete(consumed);
  }
  if (cmd == "quit") {
    req->command = Command::kQuit;
    return Complete(consumed);
  }
  if (cmd == "verbosity") {
    req->command = Command::kVerbosity;
    if (!want(3, 4)) return Bad(consumed, kError);
    req->noreply = noreply();
    uint32_t level = 0;
    if (!ParseUint32(t[1], &level)) return BadUnlessNoreply(consumed, kBadFormat, req->noreply);
    req->number = level > kMaxVerbosity ? kMaxVerbosity : level;
    return Complete(consumed);
  }
  if (cmd == "stats") {
    req->command = Command::kStats;
    return Complete(consumed);
  }
  if (cmd == "shutdown") {
    req->command = Command::kShutdown;
    return Complete(consumed);
  }
  if (cmd == "cache_memlimit") {
    req->command = Command::kCacheMemlimit;
    if (!want(3, 4)) return Bad(consumed, kError);
    req->noreply = noreply();
    uint32_t mb = 0;
    if (!ParseUint32(t[1], &mb)) return BadUnlessNoreply(consumed, kError, req->noreply);
    req->number = mb;
    return Complete(consumed);
  }
  return UnknownCommand(consumed, t[n - 1]);
}

}  // namespace kmd::protocol::text
