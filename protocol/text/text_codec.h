// memcached text protocol (classic commands and meta commands mg/ms/md/ma/mn/me): the Request
// value, the incremental parser and small reply composers. Pure: no I/O, no allocation, no storage.
// Reference: memcached 1.6.18 proto_text.c and doc/protocol.txt; every error text below is the
// byte-exact string memcached sends. Thread-safety: stateless; a Request belongs to its caller.
// Invariant: every string_view in a Request points into the input given to Parse() (or, for a
// base64-decoded meta key, into the Request itself), so the input must outlive the Request.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/common/parse.h"

namespace kmd::protocol::text {

// memcached's tokenizer limit (MAX_TOKENS, counting its terminal token).
inline constexpr size_t kMaxTokens = 24;
// memcached MFLAG_MAX_OPT_LENGTH: a meta line may hold at most this many tokens (with terminal).
inline constexpr size_t kMaxMetaTokens = 20;
inline constexpr size_t kMaxMetaFlags = kMaxMetaTokens - 3;
// memcached MFLAG_MAX_OPAQUE_LENGTH (the 'O' included).
inline constexpr size_t kMaxOpaqueLength = 32;
// memcached MAX_VERBOSITY_LEVEL.
inline constexpr uint32_t kMaxVerbosity = 2;
// A get line: leading spaces allowed before "get " when the line is past Limits::max_line.
inline constexpr size_t kMaxLeadingSpaces = 100;

enum class Command : uint8_t {
  kNone,
  kGet,
  kGets,
  kGat,
  kGats,
  kSet,
  kAdd,
  kReplace,
  kAppend,
  kPrepend,
  kCas,
  kIncr,
  kDecr,
  kDelete,
  kTouch,
  kFlushAll,
  kVersion,
  kVerbosity,
  kStats,
  kQuit,
  kShutdown,
  kCacheMemlimit,
  kMetaGet,
  kMetaSet,
  kMetaDelete,
  kMetaArithmetic,
  kMetaNoop,
  kMetaDebug,
};

// One meta flag as written: its letter and the rest of its token (e.g. 'T', "30").
struct MetaFlag {
  char flag = 0;
  std::string_view token;
};

// Meta flags in request order (the order of return flags follows it) plus their decoded values,
// as memcached's _meta_flag_preparse() computes them.
struct MetaArgs {
  std::array<MetaFlag, kMaxMetaFlags> flags{};
  uint8_t count = 0;

  bool base64_key = false;    // b
  bool no_update = false;     // u
  bool value = false;         // v
  bool no_reply = false;      // q
  bool set_stale = false;     // I
  bool has_cas = false;       // C
  bool has_new_cas = false;   // E (later memcached; accepted here as a superset of 1.6.18)
  bool has_ttl = false;       // T
  bool vivify = false;        // N
  bool has_recache = false;   // R
  bool remove_value = false;  // x (later memcached; md only)
  char mode = 0;              // M
  int32_t ttl = 0;            // T
  int32_t vivify_ttl = 0;     // N
  int32_t recache_ttl = 0;    // R
  uint32_t client_flags = 0;  // F
  uint64_t cas = 0;           // C
  uint64_t new_cas = 0;       // E
  uint64_t delta = 1;         // D (ma)
  uint64_t initial = 0;       // J (ma)

  bool Has(char f) const {
    for (uint8_t i = 0; i < count; ++i) {
      if (flags[i].flag == f) return true;
    }
    return false;
  }
};

// Splits the keys region of a get/gets/gat/gats line on spaces without allocating.
class KeyIterator {
 public:
  explicit KeyIterator(std::string_view keys) : rest_(keys) {}
  // Stores the next key in `key`; false when no keys remain.
  bool Next(std::string_view* key);

 private:
  std::string_view rest_;
};

struct Request {
  Command command = Command::kNone;
  bool noreply = false;
  std::string_view raw_key;  // the key token as written (base64 text for meta b)
  std::string_view keys;     // get family: the line from the first key on
  uint32_t flags = 0;        // storage commands: client flags
  int32_t exptime = 0;       // storage, touch, gat, flush_all (wire form, memcached's int32)
  bool has_exptime = false;  // flush_all given a delay
  uint64_t number = 0;       // cas unique (cas), delta (incr/decr), level (verbosity, memlimit)
  std::string_view data;     // storage commands and ms: the value without its "\r\n"
  // Tokens of the line (memcached's view, at most kMaxTokens - 1), for stats and shutdown.
  std::array<std::string_view, kMaxTokens> tokens{};
  size_t ntokens = 0;
  MetaArgs meta;

  // The key to look up: the decoded bytes for meta commands with b.
  std::string_view key() const {
    return key_decoded_ ? std::string_view(key_buf_.data(), key_len_) : raw_key;
  }
  KeyIterator Keys() const { return KeyIterator(keys); }

  // Parser internals (set by DecodeKey).
  std::array<char, 256> key_buf_{};
  size_t key_len_ = 0;
  bool key_decoded_ = false;
};

struct ParseResult {
  ParseOutcome outcome = ParseOutcome::kNeedMore;
  size_t consumed = 0;  // bytes of input this request (or bad line) used
  // kBad: the reply line without "\r\n"; empty when memcached sends nothing (noreply).
  std::string_view error;
  size_t swallow = 0;  // kBad: bytes after `consumed` to discard (rejected data block)
  bool close = false;  // the stream cannot be resynchronised: close the connection
  // kBad: the value exceeds Limits::max_value; memcached then unlinks the old item of a set or
  // ms, even under noreply.
  bool too_large = false;
};

// Parses one request at the start of `in`. On kBad, `req->command` and its key are set when the
// line got that far (a rejected `set` must still unlink the old item, as memcached does).
ParseResult Parse(std::string_view in, const Limits& limits, Request* req);

// memcached's safe_strto* (util.c): leading blanks and a sign allowed, the number must end the
// token or be followed by whitespace, 64-bit overflow fails, and the result is truncated to the
// target width exactly as memcached's casts do.
bool ParseInt32(std::string_view token, int32_t* out);
bool ParseUint32(std::string_view token, uint32_t* out);
bool ParseUint64(std::string_view token, uint64_t* out);

// memcached's base64 (RFC 1341, Jouni Malinen's code): characters outside the alphabet are
// skipped, the alphabet count must be a non-zero multiple of 4. Returns bytes written, 0 = fail.
size_t Base64Decode(std::string_view in, char* out, size_t out_len);
// Returns bytes written (4 * ceil(n / 3)); `out` must hold that many.
size_t Base64Encode(std::string_view in, char* out);
inline constexpr size_t Base64EncodedSize(size_t n) { return (n + 2) / 3 * 4; }

// Composers. Each writes at `out` and returns the end; the caller sizes the buffer.
char* WriteU64(char* out, uint64_t v);
char* WriteI64(char* out, int64_t v);
// Largest "VALUE <key> <flags> <bytes> <cas>\r\n" line.
inline constexpr size_t kMaxValueLine = 6 + 250 + 1 + 10 + 1 + 10 + 1 + 20 + 2;
char* WriteValueLine(char* out, std::string_view key, uint32_t flags, size_t bytes,
                     const uint64_t* cas);

// Builds one meta reply line: status ("VA <n>", "HD", "EN", ...) then return flags, "\r\n".
class MetaLine {
 public:
  // Enough for the longest line memcached can produce: a base64 key, an opaque and every flag.
  static constexpr size_t kCapacity = 1024;
  explicit MetaLine(std::string_view status) { Raw(status); }
  MetaLine& Raw(std::string_view bytes);
  MetaLine& Flag(char f);                            // " f"
  MetaLine& Flag(char f, uint64_t v);                // " f123"
  MetaLine& FlagSigned(char f, int64_t v);           // " t-1"
  MetaLine& Opaque(std::string_view token);          // " O..." (token includes the O)
  MetaLine& Key(std::string_view key, bool binary);  // " k<key>" or " k<base64> b"
  std::string_view Finish();                         // appends "\r\n"

 private:
  std::array<char, kCapacity> buf_;
  size_t len_ = 0;
};

}  // namespace kmd::protocol::text
