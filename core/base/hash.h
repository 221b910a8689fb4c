// Key hashing for shard and bucket selection: XXH3 64-bit, seedless, stable across runs.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace kmd::base {

uint64_t HashKey(std::string_view key);

}  // namespace kmd::base
