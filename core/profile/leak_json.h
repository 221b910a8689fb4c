// LeakJson: /debug/leaks as JSON: whether the detector is judging yet (its series span the
// window), the window, the sampler's totals, the analysis time, and each finding (site, top
// frames, growth in bytes/s, confidence, whether it still grows). Pure; thread-safe.
#pragma once

#include <string>

#include "core/profile/leak_detector.h"

namespace kmd::profile {

std::string LeakJson(const LeakReport& report);

}  // namespace kmd::profile
