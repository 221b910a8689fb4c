// libFuzzer target for the binary request parser (and the response decoder): feeds the bytes
// through Parse in a loop as a connection would and checks the codec's contract on every step:
// progress, consumed within the input, views inside the input, key <= limit, bounded buffering.
// Under g++ tests/fuzz/replay_main.cc replays corpus/binary/ through it as an ordinary test.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/binary/codec.h"

namespace {

using kmd::protocol::Limits;
using kmd::protocol::ParseOutcome;
namespace bin = kmd::protocol::binary;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void Drive(std::string_view in, const Limits& limits) {
  while (!in.empty()) {
    bin::Request req;
    bin::ParseResult r = bin::Parse(in, limits, &req);
    Check(r.consumed <= in.size());
    if (r.outcome == ParseOutcome::kNeedMore) {
      Check(r.consumed == 0);
      // Never waits for more than header + extras + key + a value within the limit.
      Check(in.size() < bin::kHeaderSize + 255 + 65535 + limits.max_value);
      return;
    }
    if (r.outcome == ParseOutcome::kBad) {
      if (r.close) return;
      Check(r.answer);
      Check(r.consumed >= bin::kHeaderSize);
      in.remove_prefix(r.consumed);
      if (r.swallow >= in.size()) return;
      in.remove_prefix(static_cast<size_t>(r.swallow));
      continue;
    }
    Check(r.consumed >= bin::kHeaderSize);
    Check(req.key.size() <= limits.max_key);
    Check(req.value.size() <= limits.max_value);
    Check(Inside(req.key, in) && Inside(req.extras, in) && Inside(req.value, in));
    Check(req.key.size() == req.key_length);
    Check(req.extras.size() == req.extras_length);
    in.remove_prefix(r.consumed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Drive(in, Limits{});
  Limits small;
  small.max_value = 16;  // exercise the E2BIG/swallow path with small inputs
  small.max_key = 8;
  Drive(in, small);

  std::string_view rest = in;
  while (!rest.empty()) {
    bin::Response resp;
    size_t consumed = 0;
    if (bin::ParseResponse(rest, &resp, &consumed) != ParseOutcome::kComplete) break;
    Check(consumed >= bin::kHeaderSize && consumed <= rest.size());
    Check(Inside(resp.key, rest) && Inside(resp.value, rest) && Inside(resp.extras, rest));
    rest.remove_prefix(consumed);
  }
  return 0;
}
