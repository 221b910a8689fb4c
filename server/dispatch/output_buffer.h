// Pending response bytes of one connection: small copied pieces (headers, status lines) in an
// owned scratch buffer, and values sent straight from item memory while an ItemRef pins them.
// Thread-safety: one connection's worker only. Segments keep offsets into the scratch buffer so
// that it may grow; iovecs are built only when the output is taken for writing.
// Bounds: past `kMaxPinnedBytes` of pinned values, values are copied instead of pinned.
// Memory: scratch, segment and pin arrays come from the worker's buffer pool and go back to it
// when their generation has been written, so an idle connection holds none of them.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include "core/cache/store.h"

namespace kmd::dispatch {

class OutputBuffer {
 public:
  static constexpr size_t kMaxPinnedBytes = 8u << 20;
  // Past this many pending bytes a session should stop and let the connection write.
  static constexpr size_t kSoftLimitBytes = 4u << 20;

  // `buffers`: the worker's pool (or any resource that outlives this buffer).
  explicit OutputBuffer(std::pmr::memory_resource* buffers);

  void Append(std::string_view bytes);
  void Append(const char* data, size_t size) { Append(std::string_view(data, size)); }
  // Reserves `size` bytes at the end of the scratch and returns where to write them.
  char* AppendUninitialized(size_t size);
  // Appends the item's value zero-copy (or copied, past the pin bound).
  void AppendValue(cache::ItemRef ref);

  bool empty() const { return pending_bytes_ == 0; }
  size_t pending_bytes() const { return pending_bytes_; }
  size_t pinned_bytes() const { return inflight_pinned_ + pending_pinned_; }

  // Moves pending output in flight and appends its iovecs (valid until Written()).
  void Take(std::pmr::vector<iovec>* iov);
  void Written();

 private:
  struct Segment {
    bool external;     // points into item memory (pinned) rather than scratch
    size_t offset;     // scratch offset when !external
    const char* data;  // when external
    size_t size;
  };
  void AddScratchSegment(size_t offset, size_t size);
  // Gives the pending generation its first pool blocks (one each), so that it grows by doubling
  // from a whole block rather than from a few bytes.
  void Prepare();

  // Pending (not yet taken) and in-flight generations are kept apart so that a session can keep
  // producing while a write is outstanding.
  std::pmr::memory_resource* buffers_;
  std::pmr::string scratch_[2];
  std::pmr::vector<Segment> segments_[2];
  std::pmr::vector<cache::ItemRef> pins_[2];
  int pending_ = 0;
  size_t pending_bytes_ = 0;
  size_t pending_pinned_ = 0;
  size_t inflight_pinned_ = 0;
  std::vector<iovec> value_pieces_;
};

}  // namespace kmd::dispatch
