// ItemProfile: the hook forwards to the registered instance.
#include "core/profile/item_profile.h"

#include <atomic>
#include <stdexcept>

namespace kmd::profile {
namespace {

std::atomic<ItemProfile*> g_instance{nullptr};

}  // namespace

ItemProfile::ItemProfile(std::string delimiters, bool register_hook)
    : delimiters_(std::move(delimiters)), registered_(register_hook) {
  if (!register_hook) return;
  ItemProfile* expected = nullptr;
  if (!g_instance.compare_exchange_strong(expected, this)) {
    throw std::logic_error("ItemProfile: another item profile is registered");
  }
  base::SetItemWriteHook(&ItemProfile::OnWrite);
}

ItemProfile::~ItemProfile() {
  if (!registered_) return;
  base::SetItemWriteHook(nullptr);
  g_instance.store(nullptr);
}

void ItemProfile::OnWrite(std::string_view key, uint64_t bytes, base::ItemWriteOp op,
                          uint32_t weight) {
  ItemProfile* self = g_instance.load(std::memory_order_acquire);
  if (self != nullptr) self->Record(key, bytes, op, weight);
}

std::string_view ItemProfile::Prefix(std::string_view key) const {
  return key.substr(0, key.find_first_of(delimiters_));
}

void ItemProfile::Record(std::string_view key, uint64_t bytes, base::ItemWriteOp op,
                         uint32_t weight) {
  const std::string_view prefix = Prefix(key);
  std::lock_guard lock(mu_);
  prefixes_.Add(prefix, bytes * weight);
  ItemWriteFigures& f = totals_.by_command[static_cast<size_t>(op)];
  f.writes += weight;
  f.bytes += bytes * weight;
}

ItemWrites ItemProfile::Snapshot() const {
  std::lock_guard lock(mu_);
  ItemWrites out = totals_;
  out.prefixes = prefixes_.Top();
  out.prefix_total = prefixes_.total();
  return out;
}

}  // namespace kmd::profile
