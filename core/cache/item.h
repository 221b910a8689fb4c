// Item layout in slab memory. Pinned by static_assert: the header is 12 bytes.
//   [ItemHeader 12][policy links 8 if HasLinks()][client flags u32 if kHasClientFlags]
//   [exptime u32 if kHasExptime][CAS 48 bits if kHasCas][key]
//   chained only: [total value length u32][next chunk Ref u32]
//   [value (or its first part)]
// A continuation chunk of a chained item is [next Ref u32][data]. All chunks of a chain come from
// the largest slab class.
// The CAS is lazy: an item carries a CAS field only once somebody is told its CAS (gets, binary
// responses, meta c, an explicit meta E, arithmetic); until then its CAS is a value nobody holds,
// so a `cas` against it fails exactly as against any newer version. The store gives the field
// on first demand by copying the item (store.cc Regrow) and takes the CAS from the same counter.
// Policy links: list policies (LRU, LFU, FIFO, S3-FIFO, SIEVE, W-TinyLFU, Adaptive) thread their
// items on per-shard lists and give every item the 8-byte links field; CLOCK walks slab memory in
// page order and gives none (the store chooses per configured policy, the item records it).
// Thread-safety: layout bits, key and value are immutable once linked (readers holding a ref read
// them without a lock); links, CAS, exptime, atime and state bits change only under the shard
// lock; flag bits and the refcount are atomics so that lock-free readers never race a writer.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/cache/policy/eviction_policy.h"
#include "core/memory/slab_allocator.h"

namespace kmd::cache {

using memory::kNullRef;
using memory::Ref;

enum ItemBits : uint8_t {
  // Layout (fixed at creation).
  kHasClientFlags = 1 << 0,
  kHasExptime = 1 << 1,
  kChained = 1 << 2,
  // State (changed under the shard lock).
  kLinked = 1 << 3,
  kFetched = 1 << 4,
  kStale = 1 << 5,
  kWinSent = 1 << 6,
  // Layout (fixed at creation).
  kHasCas = 1 << 7,
};

// The linked state holds one reference and each ItemRef one more; a reader that would push the
// count to kMaxRefs gets a heap copy instead (see store.cc).
inline constexpr uint8_t kMaxRefs = 250;

struct __attribute__((packed)) ItemHeader {
  Ref hnext;
  uint8_t nkey;
  uint8_t bits;      // ItemBits; accessed through Bits() (std::atomic_ref)
  uint8_t vlen[3];   // low 19 bits: value bytes in this chunk (head part for chained items);
                     // bit 19: the item has policy links (layout, fixed at creation);
                     // high 4 bits: the eviction policy's per-item meta (policy::ItemView)
  uint8_t refcount;  // accessed through Refs() (std::atomic_ref)
  uint16_t atime;    // seconds since store start, wrapping
};
static_assert(sizeof(ItemHeader) == 12, "item header size is part of the memory budget");
// The slab allocator writes bytes [0, 4) of a free chunk: the bits must lie beyond them, so that
// a walk over slab memory (page moves, the CLOCK hand) tells a linked item from a free chunk.
static_assert(offsetof(ItemHeader, bits) >= 4);

inline constexpr size_t kItemHeaderSize = sizeof(ItemHeader);
inline constexpr size_t kChainHeadExtra = 8;  // total length + next ref
inline constexpr size_t kContinuationHeader = 4;
// Chunk value lengths must fit the 19 bits of vlen: the store caps its page size at this.
inline constexpr size_t kMaxPageSize = size_t{1} << 20;
inline constexpr uint32_t kVlenBits = 19;
inline constexpr uint8_t kLinksBit = 1u << (kVlenBits - 16);  // in vlen[2]
inline constexpr size_t kLinksFieldSize = sizeof(policy::PolicyLinks);
// Chunks are at most half a page (SlabClasses), so a chunk's value length fits kVlenBits.
static_assert(kMaxPageSize / 2 - kItemHeaderSize < (size_t{1} << kVlenBits));
inline constexpr uint64_t kCasMask = (uint64_t{1} << 48) - 1;
inline constexpr size_t kCasFieldSize = 6;
static_assert(std::endian::native == std::endian::little, "the CAS field keeps a u64's low bytes");

struct Item {
  ItemHeader h;

  // Flag bits and the refcount are read by lock-free readers while a lock holder changes them.
  std::atomic_ref<uint8_t> Bits() const {
    return std::atomic_ref<uint8_t>(const_cast<Item*>(this)->h.bits);
  }
  std::atomic_ref<uint8_t> Refs() { return std::atomic_ref<uint8_t>(h.refcount); }
  uint8_t layout() const { return Bits().load(std::memory_order_relaxed); }
  bool Has(uint8_t bit) const { return (layout() & bit) != 0; }
  void Set(uint8_t bit) { Bits().fetch_or(bit, std::memory_order_relaxed); }
  void Clear(uint8_t bit) {
    Bits().fetch_and(static_cast<uint8_t>(~bit), std::memory_order_relaxed);
  }

  char* raw() { return reinterpret_cast<char*>(this); }
  const char* raw() const { return reinterpret_cast<const char*>(this); }
  bool HasLinks() const { return (h.vlen[2] & kLinksBit) != 0; }
  size_t LinksSize() const { return HasLinks() ? kLinksFieldSize : 0; }
  // Only on an item with links.
  policy::PolicyLinks& links() {
    return *reinterpret_cast<policy::PolicyLinks*>(raw() + kItemHeaderSize);
  }
  size_t OptSize() const {
    const uint8_t b = layout();
    return LinksSize() + ((b & kHasClientFlags) ? 4 : 0) + ((b & kHasExptime) ? 4 : 0) +
           ((b & kHasCas) ? kCasFieldSize : 0);
  }
  const char* cas_ptr() const {
    const uint8_t b = layout();
    return raw() + kItemHeaderSize + LinksSize() + ((b & kHasClientFlags) ? 4 : 0) +
           ((b & kHasExptime) ? 4 : 0);
  }
  // 0 while the item has no CAS field (no CAS was ever handed out for this version).
  uint64_t cas() const {
    if (!Has(kHasCas)) return 0;
    uint64_t c = 0;
    std::memcpy(&c, cas_ptr(), kCasFieldSize);  // little-endian: the low 6 bytes
    return c;
  }
  // Only on an item with a CAS field.
  void set_cas(uint64_t cas) {
    const uint64_t c = cas & kCasMask;
    std::memcpy(const_cast<char*>(cas_ptr()), &c, kCasFieldSize);
  }
  uint32_t chunk_vlen() const {
    return h.vlen[0] | (h.vlen[1] << 8) | (uint32_t{h.vlen[2] & (kLinksBit - 1u)} << 16);
  }
  // Sets the chunk's value length (< 2^19: chunks are at most kMaxPageSize / 2) and whether the
  // item has policy links, and clears the policy meta: called once, when the item is built.
  void set_chunk_vlen(uint32_t n, bool links) {
    h.vlen[0] = static_cast<uint8_t>(n);
    h.vlen[1] = static_cast<uint8_t>(n >> 8);
    h.vlen[2] = static_cast<uint8_t>(((n >> 16) & (kLinksBit - 1u)) | (links ? kLinksBit : 0));
  }
  uint8_t policy_meta() const { return h.vlen[2] >> 4; }
  void set_policy_meta(uint8_t m) {
    h.vlen[2] = static_cast<uint8_t>((h.vlen[2] & 0x0Fu) | ((m & policy::kMetaMask) << 4));
  }
  uint32_t client_flags() const {
    if (!Has(kHasClientFlags)) return 0;
    uint32_t f;
    std::memcpy(&f, raw() + kItemHeaderSize + LinksSize(), 4);
    return f;
  }
  void set_client_flags(uint32_t f) { std::memcpy(raw() + kItemHeaderSize + LinksSize(), &f, 4); }
  char* exptime_ptr() {
    return raw() + kItemHeaderSize + LinksSize() + (Has(kHasClientFlags) ? 4 : 0);
  }
  uint32_t exptime() const {
    if (!Has(kHasExptime)) return 0;
    uint32_t e;
    std::memcpy(&e, const_cast<Item*>(this)->exptime_ptr(), 4);
    return e;
  }
  void set_exptime(uint32_t e) { std::memcpy(exptime_ptr(), &e, 4); }
  char* key_ptr() { return raw() + kItemHeaderSize + OptSize(); }
  const char* key_ptr() const { return raw() + kItemHeaderSize + OptSize(); }
  std::string_view key() const { return {key_ptr(), h.nkey}; }
  char* chain_ptr() { return key_ptr() + h.nkey; }
  const char* chain_ptr() const { return key_ptr() + h.nkey; }
  uint32_t value_size() const {
    if (!Has(kChained)) return chunk_vlen();
    uint32_t n;
    std::memcpy(&n, chain_ptr(), 4);
    return n;
  }
  Ref chain_next() const {
    Ref r;
    std::memcpy(&r, chain_ptr() + 4, 4);
    return r;
  }
  char* value_ptr() { return chain_ptr() + (Has(kChained) ? kChainHeadExtra : 0); }
  const char* value_ptr() const { return chain_ptr() + (Has(kChained) ? kChainHeadExtra : 0); }
};

}  // namespace kmd::cache
