// SplitMemory: StoreStats' byte figures mapped onto the kinds of memory_split.h. Pure and
// thread-safe; invariant: the six budget kinds sum to StoreStats::budget_used().
#include "core/cache/memory_split.h"

namespace kmd::cache {

MemorySplit SplitMemory(const StoreStats& st, uint64_t rss, const OutsideBudget& outside) {
  MemorySplit split;
  split.payload = st.payload_bytes;
  split.item_metadata = st.header_bytes;
  split.slab_slack = st.slack_bytes;
  const uint64_t pages = st.total_pages * st.page_size;
  split.slab_free = pages > st.bytes ? pages - st.bytes : 0;
  split.index = st.index_bytes;
  split.policy = st.policy_bytes;
  split.buffers = outside.buffers;
  split.pools = outside.pools;
  split.unaccounted = UnaccountedBytes(rss, split.accounted());
  return split;
}

}  // namespace kmd::cache
