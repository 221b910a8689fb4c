// Unit tests for the descriptor tables (config/options.h): they agree with the Config defaults,
// every default parses, no flag is claimed twice, the -o name list is complete and unique.
#include "config/options.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

#include "config/yaml_source.h"

using namespace kmd::config;

TEST_CASE("each default_text parses, and get(Config{}) prints it back") {
  const Config defaults;
  for (const Section& s : kSections) {
    for (const Descriptor& d : s.options) {
      INFO("key " << d.key);
      REQUIRE_FALSE(d.key.empty());
      REQUIRE(static_cast<bool>(d.set));
      REQUIRE(static_cast<bool>(d.get));
      CHECK_FALSE(d.help.empty());
      if (!s.name.empty()) CHECK(d.key.substr(0, s.name.size() + 1) == std::string(s.name) + ".");
      if (d.computed_default) continue;
      CHECK(d.get(defaults) == d.default_text);
      Config c;
      CHECK(internal::ApplyText(d, d.default_text, c) == "");
      CHECK(d.get(c) == d.get(defaults));
    }
  }
}

TEST_CASE("setting a value through a descriptor changes exactly its own key") {
  for (const Section& s : kSections) {
    for (const Descriptor& d : s.options) {
      if (d.type == ValueType::kBool || d.type == ValueType::kEnum) continue;
      Config c;
      std::string text = d.type == ValueType::kString     ? "x"
                         : d.type == ValueType::kHostPort ? "10.1.2.3:1"
                         : d.type == ValueType::kOctal    ? "0711"
                         : d.type == ValueType::kSize     ? (d.max < kGiB ? "1MiB" : "1GiB")
                         : d.type == ValueType::kDuration
                             ? "7s"
                             : std::to_string(std::max<uint64_t>(d.min, 1));
      INFO("key " << d.key);
      REQUIRE(internal::ApplyText(d, text, c) == "");
      for (const Section& s2 : kSections) {
        for (const Descriptor& other : s2.options) {
          if (&other == &d) {
            CHECK(other.get(c) != other.get(Config{}));
          } else {
            CHECK(other.get(c) == other.get(Config{}));
          }
        }
      }
    }
  }
}

TEST_CASE("no short or long flag is claimed twice") {
  std::set<char> shorts;
  std::set<std::string_view> longs;
  auto claim = [&](char s, std::string_view l) {
    if (s != '\0') CHECK_MESSAGE(shorts.insert(s).second, "short flag -" << s);
    if (!l.empty()) CHECK_MESSAGE(longs.insert(l).second, "long flag --" << l);
  };
  for (const Section& s : kSections) {
    for (const Descriptor& d : s.options) claim(d.short_flag, d.long_flag);
  }
  for (const FlagDescriptor& f : kFlags) {
    // Also catches a table declared longer than its initializers (zero-filled entries).
    CHECK((f.short_flag != '\0' || !f.long_flag.empty()));
    CHECK_FALSE(f.help.empty());
    claim(f.short_flag, f.long_flag);
  }
  // memcached 1.6.18's getopt string: every short flag it knows is ours too.
  for (char c : std::string_view("aAZpsUmMckhiVrvdlUPfntDLRCbBISFXWYeoN")) {
    INFO("memcached short flag -" << c);
    CHECK(shorts.count(c) == 1);
  }
}

TEST_CASE("the -o name list has no blanks and no duplicates") {
  std::set<std::string_view> names;
  for (std::string_view name : kExtendedOptionNames) {
    CHECK_FALSE(name.empty());
    CHECK_MESSAGE(names.insert(name).second, "duplicate -o name " << name);
  }
}

TEST_CASE("FindOption finds every key and nothing else") {
  for (const Section& s : kSections) {
    for (const Descriptor& d : s.options) CHECK(FindOption(d.key) == &d);
  }
  CHECK(FindOption("listen") == nullptr);
  CHECK(FindOption("nope") == nullptr);
}
