// HashKey over xxhash's XXH3 (the only file that includes xxhash.h).
#include "core/base/hash.h"

#include <xxhash.h>

namespace kmd::base {

uint64_t HashKey(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

}  // namespace kmd::base
