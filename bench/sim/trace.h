// Trace decoding for kmd-sim: a trace file (text, libCacheSim oracleGeneral, Twitter CSV; plain,
// gzip or zstd by magic bytes) into one in-memory array of requests that every replay then reads.
// Decoders are incremental (Feed any split of the bytes, then Finish) and pure; only ReadTrace
// touches files. A malformed line is an error naming its 1-based line (oracle: 0-based record).
// Thread-safety: none; a Trace is immutable once decoded and may then be read by many threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmd::sim {

enum class TraceFormat : uint8_t { kText, kOracle, kTwitter };
std::optional<TraceFormat> ParseTraceFormat(std::string_view name);

// What a request does to the cache. Text and oracle traces hold only gets.
enum class Op : uint8_t {
  kGet,     // counted: a hit or a miss; a miss admits the key (look-aside fill)
  kWrite,   // not counted: admits or refreshes the key (set, add, replace, cas, append, ...)
  kDelete,  // not counted: removes the key
};

// Requests in trace order, as parallel arrays (the replay loop streams keys and sizes).
struct Trace {
  std::vector<uint64_t> keys;
  std::vector<uint32_t> sizes;  // bytes; 1 where the trace has no sizes
  std::vector<Op> ops;          // empty: every request is a get
  uint64_t gets = 0;            // requests that count (the miss ratio's denominator)

  size_t records() const { return keys.size(); }
  void Add(uint64_t key, uint32_t size, Op op);
};

// Distinct keys over all records, and the bytes they take (each key at its first size).
struct TraceStats {
  uint64_t distinct = 0;
  uint64_t distinct_bytes = 0;
};
TraceStats ComputeStats(const Trace& trace);

// A key token as a 64-bit id: a decimal integer that fits is itself, anything else is hashed
// (XXH3). 2^64-1 is read as 2^64-2: KeyCache reserves it as its empty marker.
uint64_t KeyId(std::string_view token);

// Incremental decoder of one format. Feed() takes the decompressed bytes in any split; Finish()
// ends the stream. Both return false on the first malformed line; error() then says which.
class TraceDecoder {
 public:
  explicit TraceDecoder(TraceFormat format) : format_(format) {}
  bool Feed(const char* data, size_t n);
  bool Finish();
  const std::string& error() const { return error_; }
  Trace& trace() { return trace_; }

 private:
  bool FeedLines(const char* data, size_t n);
  bool FeedRecords(const char* data, size_t n);
  bool Line(std::string_view line);
  bool TextLine(std::string_view line);
  bool TwitterLine(std::string_view line);
  bool Reject(std::string_view why);

  TraceFormat format_;
  Trace trace_;
  std::string carry_;  // a partial line or record left from the previous Feed
  uint64_t line_no_ = 0;
  std::string error_;
};

// Decodes a whole buffer (tests, small traces).
struct DecodeResult {
  std::optional<Trace> trace;
  std::string error;
  bool malformed = false;  // the error is a malformed line or record (not an I/O failure)
};
DecodeResult DecodeTrace(TraceFormat format, std::string_view bytes);

// Reads and decodes a file: gzip (1f 8b) and zstd (28 b5 2f fd) are detected by magic and
// decompressed as a stream; anything else is read as is. Errors name the path.
DecodeResult ReadTrace(const std::string& path, TraceFormat format);

}  // namespace kmd::sim
