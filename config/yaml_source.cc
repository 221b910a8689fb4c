// Applies text values and YAML files onto a Config through the descriptor tables; the only file
// that includes yaml-cpp. Thread-safe (no shared state).
// Invariant: a key is applied only after its value parsed and passed its descriptor's range, so a
// Config never holds an out-of-range field even when loading fails half way.
#include "config/yaml_source.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace kmd::config::internal {
namespace {

std::string ChoicesText(std::string_view choices) {
  std::string out(choices);
  for (char& c : out) {
    if (c == '|') c = ',';
  }
  return out;
}

bool InChoices(std::string_view choices, std::string_view text) {
  while (!choices.empty()) {
    const size_t bar = choices.find('|');
    if (choices.substr(0, bar) == text) return true;
    if (bar == std::string_view::npos) break;
    choices.remove_prefix(bar + 1);
  }
  return false;
}

// Every section name, so "listen:" with a mapping is accepted and "listne:" is not.
bool IsSection(std::string_view name) {
  for (const Section& s : kSections) {
    if (!s.name.empty() && s.name == name) return true;
  }
  return false;
}

std::string KnownKeys(std::string_view section) {
  std::string out;
  for (const Section& s : kSections) {
    if (s.name != section) continue;
    for (const Descriptor& d : s.options) {
      if (!out.empty()) out += ", ";
      out += d.key;
    }
  }
  if (section.empty()) {
    for (const Section& s : kSections) {
      if (!s.name.empty()) out += ", " + std::string(s.name) + ".*";
    }
  }
  return out;
}

std::string At(const std::string& path, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return path;
  return path + ":" + std::to_string(mark.line + 1);
}

std::string ApplyMap(const std::string& path, const YAML::Node& map, const std::string& prefix,
                     Config& config) {
  for (const auto& entry : map) {
    const std::string name = entry.first.as<std::string>();
    const std::string key = prefix.empty() ? name : prefix + "." + name;
    const YAML::Node& value = entry.second;
    const Descriptor* d = FindOption(key);
    if (d == nullptr) {
      if (prefix.empty() && IsSection(key)) {
        if (value.IsNull()) continue;  // "metrics:" with everything commented out
        if (!value.IsMap()) {
          return At(path, entry.first) + ": \"" + key + "\" is a section; expected a mapping of " +
                 KnownKeys(key);
        }
        if (auto err = ApplyMap(path, value, key, config); !err.empty()) return err;
        continue;
      }
      return At(path, entry.first) + ": unknown key \"" + key + "\"; known keys" +
             (prefix.empty() ? std::string() : " in " + prefix) + ": " + KnownKeys(prefix);
    }
    if (!value.IsScalar()) {
      return At(path, entry.first) + ": key \"" + key +
             "\" needs a single value: " + AllowedText(*d);
    }
    const std::string text = value.Scalar();
    if (auto why = ApplyText(*d, text, config); !why.empty()) {
      return At(path, value) + ": invalid value \"" + text + "\" for " + key + ": " + why;
    }
  }
  return {};
}

}  // namespace

std::string AllowedText(const Descriptor& d) {
  switch (d.type) {
    case ValueType::kBool:
      return "true or false (also yes/no, on/off, 1/0)";
    case ValueType::kUint:
      return "an integer in " + std::to_string(d.min) + ".." + std::to_string(d.max);
    case ValueType::kSize:
      return "a size in " + FormatSize(d.min) + ".." + FormatSize(d.max) +
             ": an integer with an optional suffix k, m, g (or KiB, MiB, GiB; any case), a bare "
             "number meaning " +
             (d.bare_unit == 1 ? std::string("bytes") : "units of " + FormatSize(d.bare_unit));
    case ValueType::kDuration:
      return "a duration in " +
             FormatDuration(std::chrono::milliseconds(static_cast<int64_t>(d.min))) + ".." +
             FormatDuration(std::chrono::milliseconds(static_cast<int64_t>(d.max))) +
             ": an integer with a suffix ms, s, m or h, a bare number meaning seconds";
    case ValueType::kString:
      return "a string";
    case ValueType::kOctal:
      return "an octal mode in 0..0777, e.g. 0700";
    case ValueType::kEnum:
      return "one of " + ChoicesText(d.choices);
    case ValueType::kHostPort:
      return "HOST:PORT with PORT in 0..65535 (IPv6 as [ADDR]:PORT)";
    case ValueType::kSizeOrWord:
      return ChoicesText(d.choices) + ", or a size in " + FormatSize(d.min) + ".." +
             FormatSize(d.max) + " with an optional suffix k, m, g (or KiB, MiB, GiB; any case)";
  }
  return {};
}

std::string ApplyText(const Descriptor& d, std::string_view text, Config& config) {
  Value value;
  switch (d.type) {
    case ValueType::kBool: {
      auto b = ParseBool(text);
      if (!b) return "must be " + AllowedText(d);
      value.boolean = *b;
      break;
    }
    case ValueType::kUint:
    case ValueType::kSize:
    case ValueType::kOctal: {
      std::optional<uint64_t> n;
      if (d.type == ValueType::kUint) n = ParseUint(text);
      if (d.type == ValueType::kSize) n = ParseSize(text, d.bare_unit);
      if (d.type == ValueType::kOctal) n = ParseOctalMode(text);
      if (!n || *n < d.min || *n > d.max) return "must be " + AllowedText(d);
      value.number = *n;
      break;
    }
    case ValueType::kDuration: {
      auto ms = ParseDuration(text);
      if (!ms || static_cast<uint64_t>(ms->count()) < d.min ||
          static_cast<uint64_t>(ms->count()) > d.max) {
        return "must be " + AllowedText(d);
      }
      value.number = static_cast<uint64_t>(ms->count());
      break;
    }
    case ValueType::kString:
      value.text = std::string(text);
      break;
    case ValueType::kEnum:
      if (!InChoices(d.choices, text)) return "must be " + AllowedText(d);
      value.text = std::string(text);
      break;
    case ValueType::kHostPort:
      if (!ParseHostPort(text)) return "must be " + AllowedText(d);
      value.text = std::string(text);
      break;
    case ValueType::kSizeOrWord: {
      if (InChoices(d.choices, text)) {
        value.text = std::string(text);
        break;
      }
      const std::optional<uint64_t> n = ParseSize(text, d.bare_unit);
      if (!n || *n < d.min || *n > d.max) return "must be " + AllowedText(d);
      value.number = *n;
      break;
    }
  }
  d.set(config, value);
  return {};
}

std::string ApplyYamlFile(const std::string& path, Config& config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return "cannot read config file \"" + path + "\": " + std::strerror(errno);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    return "cannot read config file \"" + path + "\": " + std::strerror(errno);
  }
  YAML::Node root;
  try {
    root = YAML::Load(buffer.str());
  } catch (const YAML::Exception& e) {
    return path + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg;
  }
  if (root.IsNull()) return {};  // an empty file (or only comments) keeps the defaults
  if (!root.IsMap()) {
    return path + ": expected a mapping of settings at the top level (e.g. \"listen:\")";
  }
  try {
    return ApplyMap(path, root, "", config);
  } catch (const YAML::Exception& e) {
    // Non-scalar mapping keys and the like.
    return path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg;
  }
}

}  // namespace kmd::config::internal
