// OutputBuffer: scratch + pinned-value segments, two generations (pending, in flight).
#include "server/dispatch/output_buffer.h"

#include <cstring>

#include "core/memory/buffer_pool.h"

namespace kmd::dispatch {
namespace {

constexpr size_t kBlock = memory::BufferPool::kMinClassBytes;

}  // namespace

OutputBuffer::OutputBuffer(std::pmr::memory_resource* buffers)
    : buffers_(buffers),
      scratch_{std::pmr::string(buffers), std::pmr::string(buffers)},
      segments_{std::pmr::vector<Segment>(buffers), std::pmr::vector<Segment>(buffers)},
      pins_{std::pmr::vector<cache::ItemRef>(buffers), std::pmr::vector<cache::ItemRef>(buffers)} {}

void OutputBuffer::Prepare() {
  // A string asks for capacity + 1 bytes: this is exactly one block.
  if (scratch_[pending_].capacity() < kBlock - 1) scratch_[pending_].reserve(kBlock - 1);
  if (segments_[pending_].capacity() == 0) segments_[pending_].reserve(kBlock / sizeof(Segment));
}

void OutputBuffer::AddScratchSegment(size_t offset, size_t size) {
  auto& segs = segments_[pending_];
  // Merge with the previous scratch segment when contiguous: one iovec per run of copied bytes.
  if (!segs.empty() && !segs.back().external && segs.back().offset + segs.back().size == offset) {
    segs.back().size += size;
  } else {
    segs.push_back(Segment{false, offset, nullptr, size});
  }
  pending_bytes_ += size;
}

void OutputBuffer::Append(std::string_view bytes) {
  if (bytes.empty()) return;
  Prepare();
  auto& scratch = scratch_[pending_];
  size_t offset = scratch.size();
  scratch.append(bytes.data(), bytes.size());
  AddScratchSegment(offset, bytes.size());
}

char* OutputBuffer::AppendUninitialized(size_t size) {
  Prepare();
  auto& scratch = scratch_[pending_];
  size_t offset = scratch.size();
  scratch.resize(offset + size);
  AddScratchSegment(offset, size);
  return scratch.data() + offset;
}

void OutputBuffer::AppendValue(cache::ItemRef ref) {
  size_t size = ref.value_size();
  if (size == 0) return;
  if (pinned_bytes() + size > kMaxPinnedBytes || size < 64) {
    // Small values are cheaper to copy than to track; past the bound a slow reader must not pin
    // more item memory.
    ref.CopyValue(AppendUninitialized(size));
    return;
  }
  Prepare();
  if (pins_[pending_].capacity() == 0) pins_[pending_].reserve(kBlock / sizeof(cache::ItemRef));
  value_pieces_.clear();
  ref.AppendValue(&value_pieces_);
  for (const iovec& piece : value_pieces_) {
    segments_[pending_].push_back(
        Segment{true, 0, static_cast<const char*>(piece.iov_base), piece.iov_len});
  }
  pending_bytes_ += size;
  pending_pinned_ += size;
  pins_[pending_].push_back(std::move(ref));
}

void OutputBuffer::Take(std::pmr::vector<iovec>* iov) {
  int gen = pending_;
  const std::pmr::string& scratch = scratch_[gen];
  for (const Segment& seg : segments_[gen]) {
    const char* base = seg.external ? seg.data : scratch.data() + seg.offset;
    iov->push_back(iovec{const_cast<char*>(base), seg.size});
  }
  inflight_pinned_ = pending_pinned_;
  pending_pinned_ = 0;
  pending_bytes_ = 0;
  pending_ = 1 - gen;
}

void OutputBuffer::Written() {
  int gen = 1 - pending_;
  // Everything goes back to the worker's pool: the next batch, of any connection, reuses it.
  std::pmr::vector<cache::ItemRef>(buffers_).swap(pins_[gen]);
  std::pmr::vector<Segment>(buffers_).swap(segments_[gen]);
  std::pmr::string(buffers_).swap(scratch_[gen]);
  inflight_pinned_ = 0;
}

}  // namespace kmd::dispatch
