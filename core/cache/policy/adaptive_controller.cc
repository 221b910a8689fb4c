// AdaptiveController: shadow caches, sampling rate, windows and the switch rule (see the header).
#include "core/cache/policy/adaptive_controller.h"

#include <algorithm>
#include <cmath>

namespace kmd::cache::policy {

namespace {
// Sampled accesses between two looks at the live cache's size.
constexpr uint64_t kResidentEvery = 512;
constexpr uint64_t kMinWindow = 256;
uint16_t Pack(PolicySpec s) {
  return static_cast<uint16_t>(static_cast<int>(s.kind) << 8 | s.share);
}
}  // namespace

AdaptiveController::AdaptiveController(AdaptiveOptions options)
    : options_(std::move(options)),
      max_threshold_(std::clamp<uint64_t>(
          static_cast<uint64_t>(options_.max_sample_rate * kFullThreshold), 1, kFullThreshold)),
      threshold_(max_threshold_),
      current_(Pack(options_.initial)) {
  window_misses_.assign(options_.candidates.size(), 0);
  scores_.assign(options_.candidates.size(), 0.0);
  ResetShadows();
}

void AdaptiveController::SetResidentSource(std::function<uint64_t()> fn) {
  std::lock_guard lock(mu_);
  resident_fn_ = std::move(fn);
}

void AdaptiveController::ResetShadows() {
  shadows_.clear();
  for (PolicySpec k : options_.candidates) {
    shadows_.push_back(std::make_unique<KeyCache<AnyPolicy>>(shadow_capacity_, false, k));
  }
  std::fill(window_misses_.begin(), window_misses_.end(), 0);
  window_pos_ = 0;
}

void AdaptiveController::RefreshCapacity() {
  if (resident_fn_) resident_.store(resident_fn_(), std::memory_order_relaxed);
  const double resident = static_cast<double>(resident_.load(std::memory_order_relaxed));
  const uint64_t threshold = threshold_.load(std::memory_order_relaxed);
  const double rate = static_cast<double>(threshold) / kFullThreshold;
  const double target = static_cast<double>(options_.shadow_objects);
  const double modelled = resident * rate;
  // Too many sampled keys for the shadows' budget, or too few to learn from: change the rate.
  // The sample then differs, so the shadows start over.
  if ((modelled > 2 * target && threshold > 1) ||
      (modelled < target / 4 && threshold < max_threshold_ && resident > 0)) {
    const double new_rate = std::min(options_.max_sample_rate, target / resident);
    threshold_.store(std::max<uint64_t>(1, static_cast<uint64_t>(new_rate * kFullThreshold)),
                     std::memory_order_relaxed);
    shadow_capacity_ = std::max<uint64_t>(1, static_cast<uint64_t>(resident * new_rate));
    window_len_ = WindowLength();
    ResetShadows();
    return;
  }
  // While the live cache is still filling it evicts nothing, and neither may the shadows: a
  // shadow that evicts while small ends its policy's warm-up early (S3-FIFO, W-TinyLFU) and then
  // models a different cache. So they get room to spare until the live size settles.
  const bool filling = resident > static_cast<double>(last_resident_) * 1.015 + 1;
  last_resident_ = static_cast<uint64_t>(resident);
  const double want = filling ? 2 * modelled + 64 : modelled;
  const uint64_t cap = std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(want)));
  // Follow the live size; small changes are not worth the evictions they cause.
  if (shadow_capacity_ == 0 || cap > shadow_capacity_ + shadow_capacity_ / 16 ||
      cap + shadow_capacity_ / 16 < shadow_capacity_) {
    shadow_capacity_ = cap;
    for (auto& s : shadows_) s->Resize(cap);
    window_len_ = WindowLength();
  }
}

void AdaptiveController::Observe(uint64_t hash) {
  std::lock_guard lock(mu_);
  if (sampled_++ % kResidentEvery == 0) RefreshCapacity();
  for (size_t i = 0; i < shadows_.size(); ++i) {
    if (!shadows_[i]->Access(hash)) ++window_misses_[i];
  }
  if (++window_pos_ >= window_len_) EndWindow();
}

// Windows start at one shadow capacity of accesses and grow by one per window up to
// window_factor: early on the live cache holds little history, so acting fast is cheap; later a
// rebuild forgets more, so the evidence must be longer.
uint64_t AdaptiveController::WindowLength() const {
  const double factor = std::min(options_.window_factor, 1.0 + static_cast<double>(windows_));
  return std::max<uint64_t>(kMinWindow, static_cast<uint64_t>(factor * shadow_capacity_));
}

void AdaptiveController::EndWindow() {
  ++windows_;
  window_len_ = WindowLength();
  for (size_t i = 0; i < scores_.size(); ++i) {
    scores_[i] = scores_[i] * options_.decay + static_cast<double>(window_misses_[i]);
    window_misses_[i] = 0;
  }
  window_pos_ = 0;
  const size_t best =
      static_cast<size_t>(std::min_element(scores_.begin(), scores_.end()) - scores_.begin());
  const auto cur_it = std::find(options_.candidates.begin(), options_.candidates.end(), current());
  const size_t cur = static_cast<size_t>(cur_it - options_.candidates.begin());
  const bool same_kind =
      cur < options_.candidates.size() && options_.candidates[best].kind == current().kind;
  const double margin = same_kind ? options_.margin : options_.kind_margin;
  const bool ahead =
      cur == options_.candidates.size() || scores_[best] < scores_[cur] * (1.0 - margin);
  if (best == cur || !ahead) {
    leader_streak_ = 0;
    return;
  }
  leader_streak_ = best == leader_ ? leader_streak_ + 1 : 1;
  leader_ = best;
  if (leader_streak_ < options_.confirm) return;
  leader_streak_ = 0;
  current_.store(Pack(options_.candidates[best]), std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  ++switches_;
}

AdaptiveStats AdaptiveController::Stats() const {
  std::lock_guard lock(mu_);
  AdaptiveStats st;
  st.current = current();
  st.switches = switches_;
  st.windows = windows_;
  st.sampled = sampled_;
  st.sample_rate = static_cast<double>(threshold_.load(std::memory_order_relaxed)) / kFullThreshold;
  st.shadow_capacity = shadow_capacity_;
  // The weight the scores carry: sum over past windows of decay^age × window length.
  double norm = 0;
  for (uint64_t w = 0, n = std::min<uint64_t>(windows_, 64); w < n; ++w) {
    norm += std::pow(options_.decay, static_cast<double>(w)) * static_cast<double>(window_len_);
  }
  for (size_t i = 0; i < shadows_.size(); ++i) {
    st.bytes += shadows_[i]->MetadataBytes();
    st.scores.emplace_back(options_.candidates[i], norm > 0 ? scores_[i] / norm : 0.0);
  }
  return st;
}

}  // namespace kmd::cache::policy
