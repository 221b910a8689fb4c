// Internal to kmd_config: applies a YAML file onto a Config through the descriptor tables.
// Keeps yaml-cpp out of every header. Thread-safe (no shared state).
#pragma once

#include <string>

#include "config/config.h"
#include "config/options.h"

namespace kmd::config::internal {

// What a value of `d` may be, e.g. "an integer in 0..65535"; used by errors and --help.
std::string AllowedText(const Descriptor& d);

// Parses `text` (a value for `d`) and stores it in `config`. On failure returns the reason in the
// form "must be ..." (what is allowed); empty on success.
std::string ApplyText(const Descriptor& d, std::string_view text, Config& config);

// Reads the YAML file at `path` and applies every key onto `config`. Returns the error (naming the
// path, the line, the key, the value and what is allowed), or empty.
std::string ApplyYamlFile(const std::string& path, Config& config);

}  // namespace kmd::config::internal
