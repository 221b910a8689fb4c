// Builders for Store argument structs (designated initializers would trip
// -Wmissing-field-initializers on the optional members).
// Thread-safety: pure functions. Test-only.
#pragma once

#include <string>
#include <string_view>

#include "core/cache/store.h"

namespace kmd::cache::testing {

inline GetArgs G(std::string_view key) {
  GetArgs a;
  a.key = key;
  return a;
}

inline StoreArgs S(std::string_view key, std::string_view value, uint32_t flags = 0,
                   int64_t exptime = 0, StoreMode mode = StoreMode::kSet) {
  StoreArgs a;
  a.key = key;
  a.value = value;
  a.flags = flags;
  a.exptime = exptime;
  a.mode = mode;
  return a;
}

inline StoreArgs Cas(std::string_view key, std::string_view value, uint64_t cas) {
  StoreArgs a = S(key, value);
  a.compare_cas = cas;
  return a;
}

inline DeleteArgs D(std::string_view key) {
  DeleteArgs a;
  a.key = key;
  return a;
}

inline ArithArgs A(std::string_view key, bool incr, uint64_t delta) {
  ArithArgs a;
  a.key = key;
  a.incr = incr;
  a.delta = delta;
  return a;
}

inline std::string Value(const ItemRef& ref) {
  std::string out(ref.value_size(), '\0');
  ref.CopyValue(out.data());
  return out;
}

// The value of `key`, or "<miss>".
inline std::string GetValue(Store& store, std::string_view key) {
  GetResult g = store.Get(G(key));
  return g.status == OpStatus::kOk ? Value(g.ref) : std::string("<miss>");
}

}  // namespace kmd::cache::testing
