// LeakDetector: the point rings, the judgement of each series and the findings' bookkeeping.
#include "core/profile/leak_detector.h"

#include <algorithm>

namespace kmd::profile {
namespace {

double Median(std::vector<double> v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  return v[mid];
}

int64_t UnixMillisNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

size_t SamplesPerPoint(const LeakOptions& o) {
  const auto per_window = static_cast<size_t>(
      std::max<int64_t>(1, o.window.count() / std::max<int64_t>(1, o.interval.count())));
  return std::max<size_t>(
      1, (per_window + LeakDetector::kMaxPoints - 2) / (LeakDetector::kMaxPoints - 1));
}

size_t PointsPerWindow(const LeakOptions& o, size_t step) {
  const int64_t point_ms = std::max<int64_t>(1, o.interval.count() * static_cast<int64_t>(step));
  return static_cast<size_t>((o.window.count() + point_ms - 1) / point_ms) + 1;
}

bool Faster(const LeakFinding& a, const LeakFinding& b) {
  if (a.active != b.active) return a.active;
  return a.bytes_per_second > b.bytes_per_second;
}

}  // namespace

LeakDetector::LeakDetector(const AllocSampler* sampler, const LeakOptions& options,
                           OnFound on_found)
    : sampler_(sampler),
      options_(options),
      on_found_(std::move(on_found)),
      step_(SamplesPerPoint(options)),
      capacity_(PointsPerWindow(options, step_)),
      times_(capacity_),
      unaccounted_{std::vector<double>(capacity_)},
      unaccounted_free_{std::vector<double>(capacity_)} {
  block_.reserve(step_);
  block_free_.reserve(step_);
}

void LeakDetector::Observe(const MemorySample& sample) {
  std::vector<LeakFinding> found;
  {
    std::lock_guard lock(mu_);
    if (first_ms_ < 0) first_ms_ = sample.time_ms;
    block_.push_back(static_cast<double>(sample.split.unaccounted));
    block_free_.push_back(static_cast<double>(sample.split.unaccounted + sample.split.slab_free));
    if (block_.size() < step_) return;
    unaccounted_.values[next_] = Median(block_);
    unaccounted_free_.values[next_] = Median(block_free_);
    block_.clear();
    block_free_.clear();
    times_[next_] = static_cast<double>(sample.time_ms - first_ms_) / 1000.0;
    if (sampler_ != nullptr) {
      const std::vector<uint64_t> live = sampler_->LiveBytesBySite();
      while (sites_.size() < live.size()) sites_.push_back({std::vector<double>(capacity_)});
      for (size_t i = 0; i < live.size(); ++i) {
        sites_[i].values[next_] = static_cast<double>(live[i]);
      }
    }
    next_ = (next_ + 1) % capacity_;
    held_ = std::min(held_ + 1, capacity_);
    last_ms_ = sample.time_ms;
    AnalyzeLocked(&found);
  }
  Notify(found);
}

void LeakDetector::Analyze() {
  std::vector<LeakFinding> found;
  {
    std::lock_guard lock(mu_);
    AnalyzeLocked(&found);
  }
  Notify(found);
}

LeakReport LeakDetector::Report() {
  LeakReport report;
  std::vector<LeakFinding> found;
  {
    std::lock_guard lock(mu_);
    const auto start = std::chrono::steady_clock::now();
    AnalyzeLocked(&found);
    report.analysis_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                   std::chrono::steady_clock::now() - start)
                                                   .count());
    report.judging = held_ == capacity_;
    report.window_seconds = static_cast<double>(options_.window.count()) / 1000.0;
    report.points = held_;
    report.sites = sites_.size();
    for (const auto& [id, finding] : found_) report.findings.push_back(finding);
  }
  if (sampler_ != nullptr) report.sampler = sampler_->Totals();
  std::sort(report.findings.begin(), report.findings.end(), Faster);
  Notify(found);
  return report;
}

std::vector<double> LeakDetector::Ordered(const std::vector<double>& ring) const {
  std::vector<double> out;
  out.reserve(held_);
  const size_t oldest = (next_ + capacity_ - held_) % capacity_;
  for (size_t i = 0; i < held_; ++i) out.push_back(ring[(oldest + i) % capacity_]);
  return out;
}

void LeakDetector::AnalyzeLocked(std::vector<LeakFinding>* found) {
  if (held_ < capacity_) return;  // the series do not span the window yet
  const int64_t now_ms = last_ms_;
  const std::vector<double> t = Ordered(times_);
  const std::vector<double> u = Ordered(unaccounted_.values);
  GrowthVerdict verdict;
  if (options_.judge_unaccounted) verdict = JudgeGrowth(t, u, options_.unaccounted_rules);
  if (verdict.growing) {
    const GrowthVerdict with_free =
        JudgeGrowth(t, Ordered(unaccounted_free_.values), options_.unaccounted_rules);
    verdict.growing = with_free.growing;
    verdict.slope = std::min(verdict.slope, with_free.slope);
    verdict.confidence = std::min(verdict.confidence, with_free.confidence);
  }
  Record(LeakFinding::kUnaccounted, verdict, u.back(), now_ms, found);
  for (size_t id = 0; id < sites_.size(); ++id) {
    const std::vector<double>& ring = sites_[id].values;
    const double newest = ring[(next_ + capacity_ - 1) % capacity_];
    const double oldest = ring[next_ % capacity_];
    // Most sites hold steady: skip the O(n^2) statistics unless the window shows growth.
    if (newest <= oldest && found_.count(static_cast<int64_t>(id)) == 0) continue;
    const std::vector<double> y = Ordered(ring);
    Record(static_cast<int64_t>(id), JudgeGrowth(t, y, options_.site_rules), y.back(), now_ms,
           found);
  }
}

void LeakDetector::Record(int64_t site_id, const GrowthVerdict& verdict, double now_bytes,
                          int64_t now_ms, std::vector<LeakFinding>* found) {
  auto it = found_.find(site_id);
  if (!verdict.growing) {
    if (it != found_.end()) it->second.active = false;
    return;
  }
  const bool is_new = it == found_.end();
  if (is_new) {
    LeakFinding f;
    f.site_id = site_id;
    f.site = "unaccounted";
    f.first_found_ms = now_ms > 0 ? now_ms : UnixMillisNow();
    if (site_id != LeakFinding::kUnaccounted && sampler_ != nullptr) {
      const std::vector<SiteFigures> sites = sampler_->Sites();
      if (static_cast<size_t>(site_id) < sites.size()) {
        for (void* pc : sites[site_id].frames) f.stack.push_back(namer_.Name(pc));
        const size_t first = SiteFrame(f.stack);
        f.site = f.stack.empty() ? "?" : f.stack[first];
        f.stack.erase(f.stack.begin(), f.stack.begin() + static_cast<std::ptrdiff_t>(first));
        if (f.stack.size() > kStackFrames) f.stack.resize(kStackFrames);
      }
    }
    it = found_.emplace(site_id, std::move(f)).first;
  }
  LeakFinding& f = it->second;
  f.active = true;
  f.bytes_per_second = verdict.slope;
  f.confidence = verdict.confidence;
  f.bytes = static_cast<uint64_t>(now_bytes);
  f.last_growing_ms = now_ms;
  if (is_new) found->push_back(f);
}

void LeakDetector::Notify(const std::vector<LeakFinding>& found) const {
  if (!on_found_) return;
  for (const LeakFinding& f : found) on_found_(f);
}

void LeakDetector::VisitCounters(base::CounterVisitor& visitor) const {
  std::vector<std::pair<double, std::string>> active;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, f] : found_) {
      if (f.active) active.emplace_back(f.bytes_per_second, f.site);
    }
  }
  std::sort(active.begin(), active.end(), std::greater<>());
  visitor.Visit("leak_suspects", base::MetricKind::kGauge, static_cast<double>(active.size()),
                "memory sites (and unaccounted memory) the leak detector finds growing now");
  if (active.size() > kMaxExportedSites) active.resize(kMaxExportedSites);
  for (auto& [rate, site] : active) {
    if (site.size() > 120) site.resize(120);
    const base::MetricLabel label{"site", site};
    visitor.Visit("leak_growth_bytes_per_second", base::MetricKind::kGauge, rate,
                  "growth of each leak suspect (Theil-Sen slope over the detector's window)",
                  &label, 1);
  }
}

}  // namespace kmd::profile
