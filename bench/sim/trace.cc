// Trace decoders and the file reader behind trace.h. The text path is the hot one (millions of
// lines): no allocation per line, keys parsed in place; a line split across two Feed calls goes
// through carry_.
#include "bench/sim/trace.h"

#include <zlib.h>
#include <zstd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/base/hash.h"
#include "core/cache/policy/key_cache.h"

namespace kmd::sim {
namespace {

constexpr size_t kChunk = 1 << 20;
constexpr size_t kOracleRecord = 24;  // u32 timestamp, u64 obj_id, u32 obj_size, i64 next access
constexpr uint64_t kReservedKey = ~uint64_t{0};

bool ParseU64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool ParseU32(std::string_view s, uint32_t& out) {
  uint64_t v = 0;
  if (!ParseU64(s, v) || v > UINT32_MAX) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

// A timestamp or index: digits with an optional fraction ("12", "1.5").
bool IsNumber(std::string_view s) {
  size_t digits = 0;
  bool dot = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digits > 0;
}

bool IsSignedInteger(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  uint64_t v = 0;
  return ParseU64(s, v);
}

// A zero-byte object still occupies an entry, so it costs one byte.
uint32_t Cost(uint64_t bytes) {
  if (bytes == 0) return 1;
  return bytes > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(bytes);
}

// Splits `line` at any run of `seps` (spaces and tabs); returns the number of fields (at most
// out.size(); one more than fits is reported as out.size() + 1).
template <size_t N>
size_t Split(std::string_view line, std::string_view seps, std::array<std::string_view, N>& out) {
  size_t n = 0;
  size_t i = 0;
  while (i < line.size()) {
    i = line.find_first_not_of(seps, i);
    if (i == std::string_view::npos) break;
    size_t end = line.find_first_of(seps, i);
    if (end == std::string_view::npos) end = line.size();
    if (n == N) return N + 1;
    out[n++] = line.substr(i, end - i);
    i = end;
  }
  return n;
}

std::optional<Op> TwitterOp(std::string_view op) {
  if (op == "get" || op == "gets") return Op::kGet;
  if (op == "delete") return Op::kDelete;
  for (std::string_view w : {"set", "add", "replace", "cas", "append", "prepend", "incr", "decr"}) {
    if (op == w) return Op::kWrite;
  }
  return std::nullopt;
}

}  // namespace

std::optional<TraceFormat> ParseTraceFormat(std::string_view name) {
  if (name == "text") return TraceFormat::kText;
  if (name == "oracle") return TraceFormat::kOracle;
  if (name == "twitter") return TraceFormat::kTwitter;
  return std::nullopt;
}

void Trace::Add(uint64_t key, uint32_t size, Op op) {
  if (op != Op::kGet || !ops.empty()) {
    ops.resize(keys.size(), Op::kGet);  // the first non-get spells out the gets before it
    ops.push_back(op);
  }
  keys.push_back(key);
  sizes.push_back(size);
  if (op == Op::kGet) ++gets;
}

uint64_t KeyId(std::string_view token) {
  uint64_t v = 0;
  if (!ParseU64(token, v)) v = base::HashKey(token);
  return v == kReservedKey ? kReservedKey - 1 : v;
}

bool TraceDecoder::Reject(std::string_view why) {
  error_ = "line " + std::to_string(line_no_) + ": " + std::string(why);
  return false;
}

bool TraceDecoder::TextLine(std::string_view line) {
  std::array<std::string_view, 3> f;
  const size_t n = Split(line, " \t", f);
  if (n < 2 || n > 3) {
    return Reject("expected '<timestamp_or_index> <key> [<size_bytes>]', got '" +
                  std::string(line) + "'");
  }
  if (!IsNumber(f[0])) return Reject("timestamp_or_index '" + std::string(f[0]) + "' is no number");
  uint32_t size = 1;
  if (n == 3 && !ParseU32(f[2], size)) {
    return Reject("size '" + std::string(f[2]) + "' is not an integer in 0..4294967295");
  }
  trace_.Add(KeyId(f[1]), Cost(size), Op::kGet);
  return true;
}

bool TraceDecoder::TwitterLine(std::string_view line) {
  // Fields from both ends: the timestamp before the first comma, the last five after the last
  // five commas, the key in between (so an anonymized key with a comma in it still parses).
  std::array<std::string_view, 7> f;
  const size_t first = line.find(',');
  size_t end = line.size();
  bool ok = first != std::string_view::npos;
  for (size_t i = f.size() - 1; ok && i >= 2; --i) {
    const size_t comma = line.rfind(',', end - 1);
    ok = comma != std::string_view::npos && comma > first;
    if (ok) f[i] = line.substr(comma + 1, end - comma - 1);
    end = comma;
  }
  if (ok) {
    f[0] = line.substr(0, first);
    f[1] = line.substr(first + 1, end - first - 1);
  }
  for (std::string_view field : f) ok = ok && !field.empty();
  if (!ok) {
    return Reject(
        "expected 7 comma-separated fields (timestamp,key,key size,value size,client id,"
        "operation,TTL), got '" +
        std::string(line) + "'");
  }
  uint32_t key_size = 0, value_size = 0;
  if (!IsNumber(f[0])) return Reject("timestamp '" + std::string(f[0]) + "' is no number");
  if (!ParseU32(f[2], key_size))
    return Reject("key size '" + std::string(f[2]) + "' is no integer");
  if (!ParseU32(f[3], value_size)) {
    return Reject("value size '" + std::string(f[3]) + "' is no integer");
  }
  const std::optional<Op> op = TwitterOp(f[5]);
  if (!op) return Reject("unknown operation '" + std::string(f[5]) + "'");
  if (!IsSignedInteger(f[6])) return Reject("TTL '" + std::string(f[6]) + "' is no integer");
  trace_.Add(KeyId(f[1]), Cost(uint64_t{key_size} + value_size), *op);
  return true;
}

bool TraceDecoder::Line(std::string_view line) {
  ++line_no_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return true;  // blank: skipped
  return format_ == TraceFormat::kText ? TextLine(line) : TwitterLine(line);
}

bool TraceDecoder::FeedLines(const char* data, size_t n) {
  const char* end = data + n;
  if (!carry_.empty()) {
    const char* nl = static_cast<const char*>(std::memchr(data, '\n', n));
    if (nl == nullptr) {
      carry_.append(data, n);
      return true;
    }
    carry_.append(data, nl);
    if (!Line(carry_)) return false;
    carry_.clear();
    data = nl + 1;
  }
  while (data < end) {
    const char* nl = static_cast<const char*>(std::memchr(data, '\n', end - data));
    if (nl == nullptr) {
      carry_.assign(data, end);
      return true;
    }
    if (!Line(std::string_view(data, nl - data))) return false;
    data = nl + 1;
  }
  return true;
}

bool TraceDecoder::FeedRecords(const char* data, size_t n) {
  auto record = [&](const char* r) {
    uint64_t id = 0;
    uint32_t size = 0;
    std::memcpy(&id, r + 4, sizeof id);  // little-endian, as libCacheSim writes it
    std::memcpy(&size, r + 12, sizeof size);
    trace_.Add(id == kReservedKey ? kReservedKey - 1 : id, Cost(size), Op::kGet);
    ++line_no_;
  };
  if (!carry_.empty()) {
    const size_t take = std::min(n, kOracleRecord - carry_.size());
    carry_.append(data, take);
    data += take;
    n -= take;
    if (carry_.size() < kOracleRecord) return true;
    record(carry_.data());
    carry_.clear();
  }
  for (; n >= kOracleRecord; data += kOracleRecord, n -= kOracleRecord) record(data);
  carry_.assign(data, n);
  return true;
}

bool TraceDecoder::Feed(const char* data, size_t n) {
  if (!error_.empty()) return false;
  return format_ == TraceFormat::kOracle ? FeedRecords(data, n) : FeedLines(data, n);
}

bool TraceDecoder::Finish() {
  if (!error_.empty()) return false;
  if (carry_.empty()) return true;
  if (format_ == TraceFormat::kOracle) {
    error_ = "record index " + std::to_string(line_no_) + " (byte offset " +
             std::to_string(line_no_ * kOracleRecord) + "): truncated, " +
             std::to_string(carry_.size()) + " of 24 bytes";
    return false;
  }
  const std::string last = std::move(carry_);  // a last line without a newline
  carry_.clear();
  return Line(last);
}

DecodeResult DecodeTrace(TraceFormat format, std::string_view bytes) {
  TraceDecoder d(format);
  DecodeResult r;
  if (d.Feed(bytes.data(), bytes.size()) && d.Finish()) {
    r.trace = std::move(d.trace());
  } else {
    r.error = d.error();
    r.malformed = true;
  }
  return r;
}

namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

// Pumps decompressed bytes of `path` into `sink`; returns an error message or "".
template <class Sink>
std::string PumpGzip(const std::string& path, Sink&& sink) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) return "cannot open: " + std::string(std::strerror(errno));
  gzbuffer(gz, 1 << 17);
  std::vector<char> buf(kChunk);
  std::string err;
  for (;;) {
    const int got = gzread(gz, buf.data(), static_cast<unsigned>(buf.size()));
    if (got < 0) {
      int code = 0;
      err = std::string("gzip: ") + gzerror(gz, &code);
      break;
    }
    if (got == 0) {
      int code = 0;
      const char* msg = gzerror(gz, &code);
      if (code != Z_OK) err = std::string("gzip: ") + msg;
      break;
    }
    if (!sink(buf.data(), static_cast<size_t>(got))) break;
  }
  gzclose(gz);
  return err;
}

template <class Sink>
std::string PumpZstd(FILE* f, Sink&& sink) {
  std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream*)> ds(ZSTD_createDStream(),
                                                              ZSTD_freeDStream);
  ZSTD_initDStream(ds.get());
  std::vector<char> in(ZSTD_DStreamInSize()), out(ZSTD_DStreamOutSize());
  size_t last = 0;
  bool any = false;
  for (;;) {
    const size_t got = std::fread(in.data(), 1, in.size(), f);
    if (got == 0) break;
    any = true;
    ZSTD_inBuffer ib{in.data(), got, 0};
    while (ib.pos < ib.size) {
      ZSTD_outBuffer ob{out.data(), out.size(), 0};
      last = ZSTD_decompressStream(ds.get(), &ob, &ib);
      if (ZSTD_isError(last)) return std::string("zstd: ") + ZSTD_getErrorName(last);
      if (ob.pos > 0 && !sink(out.data(), ob.pos)) return "";
    }
  }
  if (std::ferror(f)) return "read error: " + std::string(std::strerror(errno));
  if (!any || last != 0) return "zstd: truncated stream";
  return "";
}

template <class Sink>
std::string PumpPlain(FILE* f, Sink&& sink) {
  std::vector<char> buf(kChunk);
  for (;;) {
    const size_t got = std::fread(buf.data(), 1, buf.size(), f);
    if (got == 0) break;
    if (!sink(buf.data(), got)) return "";
  }
  if (std::ferror(f)) return "read error: " + std::string(std::strerror(errno));
  return "";
}

}  // namespace

DecodeResult ReadTrace(const std::string& path, TraceFormat format) {
  DecodeResult r;
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    r.error = path + ": cannot open: " + std::strerror(errno);
    return r;
  }
  unsigned char magic[4] = {};
  const size_t m = std::fread(magic, 1, sizeof magic, f.get());
  std::rewind(f.get());
  TraceDecoder d(format);
  auto sink = [&d](const char* p, size_t n) { return d.Feed(p, n); };
  std::string io_error;
  if (m >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    f.reset();
    io_error = PumpGzip(path, sink);
  } else if (m == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f &&
             magic[3] == 0xfd) {
    io_error = PumpZstd(f.get(), sink);
  } else {
    io_error = PumpPlain(f.get(), sink);
  }
  if (!d.error().empty() || (io_error.empty() && !d.Finish())) {
    r.error = path + ": " + d.error();
    r.malformed = true;
  } else if (!io_error.empty()) {
    r.error = path + ": " + io_error;
  } else {
    r.trace = std::move(d.trace());
  }
  return r;
}

TraceStats ComputeStats(const Trace& trace) {
  // KeyCache's own key table as a set: it grows with the distinct keys, not the requests.
  cache::policy::SlotMap seen;
  TraceStats s;
  for (size_t i = 0; i < trace.records(); ++i) {
    if (seen.Find(trace.keys[i]) != cache::policy::SlotMap::kMissing) continue;
    seen.Insert(trace.keys[i], 0);
    ++s.distinct;
    s.distinct_bytes += trace.sizes[i];
  }
  return s;
}

}  // namespace kmd::sim
