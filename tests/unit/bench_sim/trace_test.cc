// kmd-sim trace decoders: text (plain and gzip), oracleGeneral (plain and zstd) and Twitter CSV
// decode to the same requests whatever the split of the bytes; malformed lines are rejected
// with their line number (oracle: record index); KeyId and ComputeStats.
#include "bench/sim/trace.h"

#include <doctest/doctest.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace kmd::sim {
namespace {

namespace fs = std::filesystem;

// A file under the system temp dir, removed when the test ends.
struct TempFile {
  explicit TempFile(const std::string& name)
      : path((fs::temp_directory_path() / ("kmd_sim_" + std::to_string(::getpid()) + "_" + name))
                 .string()) {}
  ~TempFile() { fs::remove(path); }
  void Write(const std::string& bytes) const { std::ofstream(path, std::ios::binary) << bytes; }
  std::string path;
};

std::string Gzip(const std::string& plain, const std::string& path) {
  gzFile gz = gzopen(path.c_str(), "wb");
  REQUIRE(gz != nullptr);
  REQUIRE(gzwrite(gz, plain.data(), static_cast<unsigned>(plain.size())) ==
          static_cast<int>(plain.size()));
  gzclose(gz);
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Zstd(const std::string& plain) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 3);
  REQUIRE(!ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string OracleRecord(uint32_t ts, uint64_t id, uint32_t size, int64_t next) {
  char r[24];
  std::memcpy(r, &ts, 4);
  std::memcpy(r + 4, &id, 8);
  std::memcpy(r + 12, &size, 4);
  std::memcpy(r + 16, &next, 8);
  return std::string(r, 24);
}

// Decodes `bytes` fed in pieces of `step` bytes; the same result as one piece.
Trace FeedInSteps(TraceFormat f, const std::string& bytes, size_t step) {
  TraceDecoder d(f);
  for (size_t i = 0; i < bytes.size(); i += step) {
    REQUIRE(d.Feed(bytes.data() + i, std::min(step, bytes.size() - i)));
  }
  REQUIRE(d.Finish());
  return std::move(d.trace());
}

void CheckSame(const Trace& a, const Trace& b) {
  CHECK(a.keys == b.keys);
  CHECK(a.sizes == b.sizes);
  CHECK(a.ops == b.ops);
  CHECK(a.gets == b.gets);
}

const std::string kText = "0 7 4096\n1 8 512\r\n\n2 7 4096\n3 hello 10\n4 18446744073709551616";

TEST_CASE("text lines: index, key, optional size; blank lines skipped, last newline optional") {
  DecodeResult r = DecodeTrace(TraceFormat::kText, kText);
  REQUIRE(r.trace);
  const Trace& t = *r.trace;
  REQUIRE(t.records() == 5);
  CHECK(t.gets == 5);
  CHECK(t.ops.empty());
  CHECK(t.keys[0] == 7);
  CHECK(t.keys[1] == 8);
  CHECK(t.keys[2] == 7);
  CHECK(t.keys[3] == KeyId("hello"));
  CHECK(t.keys[4] == KeyId("18446744073709551616"));  // too large for u64: hashed
  CHECK(t.keys[4] != 0);
  CHECK(t.sizes == std::vector<uint32_t>{4096, 512, 4096, 10, 1});
  for (size_t step : {1, 2, 3, 7, 64}) CheckSame(FeedInSteps(TraceFormat::kText, kText, step), t);

  DecodeResult no_sizes = DecodeTrace(TraceFormat::kText, "0 1\n1 2\n2 1\n");
  REQUIRE(no_sizes.trace);
  CHECK(no_sizes.trace->sizes == std::vector<uint32_t>{1, 1, 1});
}

TEST_CASE("KeyId: decimal keys are themselves, others hashed, 2^64-1 moved off the reserved id") {
  CHECK(KeyId("0") == 0);
  CHECK(KeyId("123456789012") == 123456789012ULL);
  CHECK(KeyId("abc") == KeyId("abc"));
  CHECK(KeyId("abc") != KeyId("abd"));
  CHECK(KeyId("18446744073709551615") == ~uint64_t{0} - 1);
}

TEST_CASE("text files: plain and gzip read alike, by magic bytes not by name") {
  TempFile plain("plain.txt"), gz("trace.bin");
  plain.Write(kText);
  Gzip(kText, gz.path);
  DecodeResult a = ReadTrace(plain.path, TraceFormat::kText);
  DecodeResult b = ReadTrace(gz.path, TraceFormat::kText);
  REQUIRE(a.trace);
  REQUIRE(b.trace);
  CheckSame(*a.trace, *b.trace);
  CHECK(a.trace->records() == 5);

  // A large gzip file crosses the reader's chunks and lines split between them.
  std::string big;
  for (int i = 0; i < 300000; ++i) big += std::to_string(i) + " " + std::to_string(i % 977) + "\n";
  TempFile bigz("big.gz");
  Gzip(big, bigz.path);
  DecodeResult c = ReadTrace(bigz.path, TraceFormat::kText);
  REQUIRE(c.trace);
  REQUIRE(c.trace->records() == 300000);
  CHECK(c.trace->keys[299999] == 299999 % 977);
  CHECK(ComputeStats(*c.trace).distinct == 977);
}

TEST_CASE("malformed text lines are rejected with their 1-based line number") {
  const std::pair<std::string, std::string> cases[] = {
      {"0 1\n1 2\n2\n", "line 3: "},                // no key
      {"0 1\n1 2 3 4\n", "line 2: "},               // too many fields
      {"0 1 x\n", "line 1: size 'x'"},              // size not a number
      {"0 1\n\n0 2 4294967296\n", "line 3: size"},  // size beyond u32; blank line counted
      {"t 1\n", "line 1: timestamp_or_index 't'"},  // timestamp not a number
      {"0 1\n1 2\n2 3 -5", "line 3: size '-5'"},    // last line without newline
  };
  for (const auto& [text, want] : cases) {
    CAPTURE(text);
    DecodeResult r = DecodeTrace(TraceFormat::kText, text);
    CHECK_FALSE(r.trace);
    CHECK(r.malformed);
    CHECK(r.error.rfind(want, 0) == 0);
  }
  TempFile f("bad.txt");
  f.Write("0 1\n1 2 a\n");
  DecodeResult r = ReadTrace(f.path, TraceFormat::kText);
  CHECK(r.malformed);
  CHECK(r.error == f.path + ": line 2: size 'a' is not an integer in 0..4294967295");
}

TEST_CASE("oracleGeneral records, plain and zstd; a truncated record names its index") {
  std::string bin;
  bin += OracleRecord(1, 42, 100, 3);
  bin += OracleRecord(2, 43, 0, -1);  // size 0 costs 1
  bin += OracleRecord(3, 42, 100, -1);
  bin += OracleRecord(4, ~uint64_t{0}, 7, -1);
  DecodeResult r = DecodeTrace(TraceFormat::kOracle, bin);
  REQUIRE(r.trace);
  CHECK(r.trace->keys == std::vector<uint64_t>{42, 43, 42, ~uint64_t{0} - 1});
  CHECK(r.trace->sizes == std::vector<uint32_t>{100, 1, 100, 7});
  CHECK(r.trace->gets == 4);
  for (size_t step : {1, 5, 24, 25})
    CheckSame(FeedInSteps(TraceFormat::kOracle, bin, step), *r.trace);

  TempFile plain("o.bin"), zst("o.bin.zst");
  plain.Write(bin);
  zst.Write(Zstd(bin));
  DecodeResult a = ReadTrace(plain.path, TraceFormat::kOracle);
  DecodeResult b = ReadTrace(zst.path, TraceFormat::kOracle);
  REQUIRE(a.trace);
  REQUIRE(b.trace);
  CheckSame(*a.trace, *r.trace);
  CheckSame(*b.trace, *r.trace);

  DecodeResult cut = DecodeTrace(TraceFormat::kOracle, bin + bin.substr(0, 10));
  CHECK(cut.malformed);
  CHECK(cut.error.rfind("record index 4 (byte offset 96): truncated", 0) == 0);

  zst.Write(Zstd(bin).substr(0, 12));
  DecodeResult bad = ReadTrace(zst.path, TraceFormat::kOracle);
  CHECK_FALSE(bad.trace);
  CHECK_FALSE(bad.malformed);
  CHECK(bad.error.find("zstd") != std::string::npos);
}

TEST_CASE("Twitter CSV: get/gets counted, writes admit uncounted, delete removes") {
  const std::string csv =
      "0,keyA,5,100,1,get,0\n"
      "1,keyB,5,20,2,set,3600\n"
      "2,keyA,5,100,1,gets,0\n"
      "3,keyB,5,0,2,delete,0\n"
      "4,keyC,4,10,3,incr,-1\n";
  DecodeResult r = DecodeTrace(TraceFormat::kTwitter, csv);
  REQUIRE(r.trace);
  const Trace& t = *r.trace;
  REQUIRE(t.records() == 5);
  CHECK(t.gets == 2);
  CHECK(t.ops == std::vector<Op>{Op::kGet, Op::kWrite, Op::kGet, Op::kDelete, Op::kWrite});
  CHECK(t.sizes == std::vector<uint32_t>{105, 25, 105, 5, 14});
  CHECK(t.keys[0] == KeyId("keyA"));
  CHECK(t.keys[0] == t.keys[2]);
  for (size_t step : {1, 3, 17}) CheckSame(FeedInSteps(TraceFormat::kTwitter, csv, step), t);

  // The key is what lies between the first and the last five fields, commas and all.
  DecodeResult comma = DecodeTrace(TraceFormat::kTwitter, "0,a,b,3,7,1,get,0\n");
  REQUIRE(comma.trace);
  CHECK(comma.trace->keys[0] == KeyId("a,b"));
  CHECK(comma.trace->sizes[0] == 10);

  const std::pair<std::string, std::string> cases[] = {
      {"0,k,1,1,1,get,0\n1,k,1,1,1,get\n", "line 2: expected 7"},
      {"0,k,1,1,1,fetch,0\n", "line 1: unknown operation 'fetch'"},
      {"0,k,x,1,1,get,0\n", "line 1: key size 'x'"},
      {"0,k,1,1,1,get,0\n0,,1,1,1,get,0\n", "line 2: expected 7"},
      {"0,k,1,1,1,get,soon\n", "line 1: TTL 'soon'"},
      {"0,k,1,1,1,get,0,\n", "line 1: expected 7"},  // empty 8th field
      {"0,k,1,1,1,get,0\n1,k,1,1,1\n", "line 2: expected 7"},
  };
  for (const auto& [text, want] : cases) {
    CAPTURE(text);
    DecodeResult bad = DecodeTrace(TraceFormat::kTwitter, text);
    CHECK(bad.malformed);
    CHECK(bad.error.rfind(want, 0) == 0);
  }
}

TEST_CASE("ComputeStats: distinct keys and their bytes at first-seen size") {
  DecodeResult r = DecodeTrace(TraceFormat::kText, "0 1 10\n1 2 20\n2 1 99\n3 3 30\n4 2 20\n");
  REQUIRE(r.trace);
  const TraceStats s = ComputeStats(*r.trace);
  CHECK(s.distinct == 3);
  CHECK(s.distinct_bytes == 60);
  CHECK(ComputeStats(Trace{}).distinct == 0);
}

TEST_CASE("unreadable files are I/O errors naming the path") {
  DecodeResult r = ReadTrace("/nonexistent/kmd-sim-trace", TraceFormat::kText);
  CHECK_FALSE(r.trace);
  CHECK_FALSE(r.malformed);
  CHECK(r.error.rfind("/nonexistent/kmd-sim-trace: cannot open", 0) == 0);
}

}  // namespace
}  // namespace kmd::sim
