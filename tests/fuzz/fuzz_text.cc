// libFuzzer target for the text/meta request parser: feeds the bytes through Parse in a loop as a
// connection would and checks the codec's contract on every step: progress, consumed within the
// input, views inside the input, keys within the limit, need-more only below the line bounds, and
// the same answer for the request's own bytes. Under g++ tests/fuzz/replay_main.cc replays
// corpus/text/ through it as an ordinary test.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/text/text_codec.h"

namespace {

using kmd::protocol::Limits;
using kmd::protocol::ParseOutcome;
namespace text = kmd::protocol::text;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void Drive(std::string_view in, const Limits& limits) {
  text::Request req;
  text::Request again;
  while (!in.empty()) {
    text::ParseResult r = text::Parse(in, limits, &req);
    if (r.close) return;
    if (r.outcome == ParseOutcome::kNeedMore) {
      Check(r.consumed == 0);
      // Buffering stays bounded: a line without '\n' past the limits closes instead.
      bool has_newline = in.find('\n') != std::string_view::npos;
      Check(has_newline || in.size() <= limits.max_multiget_line);
      // A complete line waiting for its data block never waits for more than the value limit.
      if (has_newline) Check(in.size() <= in.find('\n') + 1 + limits.max_value + 2);
      return;
    }
    Check(r.consumed > 0 && r.consumed <= in.size());
    std::string_view mine = in.substr(0, r.consumed);
    if (r.outcome == ParseOutcome::kComplete) {
      Check(Inside(req.data, mine));
      Check(Inside(req.keys, mine));
      Check(Inside(req.raw_key, mine));
      Check(req.key().size() <= limits.max_key);
      Check(req.data.size() <= limits.max_value);
      auto it = req.Keys();
      std::string_view key;
      while (it.Next(&key)) Check(!key.empty() && key.size() <= limits.max_key);
      Check(req.meta.count <= text::kMaxMetaFlags);
    } else {
      Check(r.error.size() < 128);
      if (r.too_large) Check(r.swallow > limits.max_value);
    }
    // The request's own bytes decode the same way.
    text::ParseResult r2 = text::Parse(mine, limits, &again);
    Check(r2.outcome == r.outcome && r2.consumed == r.consumed && r2.error == r.error);
    in.remove_prefix(r.consumed);
    if (r.swallow > 0) in.remove_prefix(r.swallow < in.size() ? r.swallow : in.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Limits limits;
  Drive(in, limits);
  // Small limits reach the too-large and long-line paths with small inputs.
  Limits small;
  small.max_key = 8;
  small.max_value = 16;
  small.max_line = 32;
  small.max_multiget_line = 64;
  Drive(in, small);
  return 0;
}
