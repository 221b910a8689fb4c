// Parse cost per request of the pure protocol parsers: binary GET, text `get`, meta `mg` (with the
// flags a typical client sends), and a text `set` for contrast. Input is a buffer of pipelined
// requests parsed front to back, as a connection's read buffer is, so the figure includes the
// advance over consumed bytes; items processed = requests.
#include <benchmark/benchmark.h>

#include <string>

#include "protocol/binary/codec.h"
#include "protocol/text/text_codec.h"

namespace {

namespace bin = kmd::protocol::binary;
namespace text = kmd::protocol::text;
using kmd::protocol::Limits;
using kmd::protocol::ParseOutcome;

constexpr int kPipeline = 64;

// 16-byte keys, like the load generator's default ("key:" prefix + zero-padded number).
std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key:%012d", i);
  return buf;
}

template <typename Req, typename ParseFn>
void ParseAll(benchmark::State& state, const std::string& input, ParseFn parse) {
  const Limits limits;
  Req req;
  for (auto _ : state) {
    std::string_view in(input);
    while (!in.empty()) {
      auto r = parse(in, limits, &req);
      if (r.outcome != ParseOutcome::kComplete) {
        state.SkipWithError("parse did not complete");
        return;
      }
      benchmark::DoNotOptimize(req);
      in.remove_prefix(r.consumed);
    }
  }
  state.SetItemsProcessed(state.iterations() * kPipeline);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(input.size()));
}

void BM_BinaryGet(benchmark::State& state) {
  std::string input;
  for (int i = 0; i < kPipeline; ++i) input += bin::EncodeRequest(bin::Opcode::kGet, Key(i));
  ParseAll<bin::Request>(state, input, [](std::string_view in, const Limits& l, bin::Request* r) {
    return bin::Parse(in, l, r);
  });
}

void BM_TextGet(benchmark::State& state) {
  std::string input;
  for (int i = 0; i < kPipeline; ++i) input += "get " + Key(i) + "\r\n";
  ParseAll<text::Request>(state, input, [](std::string_view in, const Limits& l, text::Request* r) {
    return text::Parse(in, l, r);
  });
}

void BM_MetaGet(benchmark::State& state) {
  std::string input;
  // What pymemcache/mcrouter-style meta clients send for a plain read: value, flags, key, opaque.
  for (int i = 0; i < kPipeline; ++i)
    input += "mg " + Key(i) + " v f k O" + std::to_string(i) + "\r\n";
  ParseAll<text::Request>(state, input, [](std::string_view in, const Limits& l, text::Request* r) {
    return text::Parse(in, l, r);
  });
}

void BM_TextSet100(benchmark::State& state) {
  std::string input;
  const std::string value(100, 'v');
  for (int i = 0; i < kPipeline; ++i) input += "set " + Key(i) + " 0 0 100\r\n" + value + "\r\n";
  ParseAll<text::Request>(state, input, [](std::string_view in, const Limits& l, text::Request* r) {
    return text::Parse(in, l, r);
  });
}

void BM_BinarySet100(benchmark::State& state) {
  std::string input;
  const std::string value(100, 'v');
  for (int i = 0; i < kPipeline; ++i) {
    input += bin::EncodeRequest(bin::Opcode::kSet, Key(i), bin::StoreExtras(0, 0), value);
  }
  ParseAll<bin::Request>(state, input, [](std::string_view in, const Limits& l, bin::Request* r) {
    return bin::Parse(in, l, r);
  });
}

BENCHMARK(BM_BinaryGet);
BENCHMARK(BM_TextGet);
BENCHMARK(BM_MetaGet);
BENCHMARK(BM_BinarySet100);
BENCHMARK(BM_TextSet100);

}  // namespace

BENCHMARK_MAIN();
