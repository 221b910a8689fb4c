// The monitor's reports: the SVG is well-formed XML (a small tag-balance check), has one series
// per kind plus RSS, labelled axes, and copes with no samples; the JSON names every kind and holds
// one value per sample in each history series.
#include <doctest/doctest.h>

#include <regex>
#include <string>
#include <vector>

#include "core/profile/memory_json.h"
#include "core/profile/memory_svg.h"

namespace kmd::profile {
namespace {

// True when every tag is closed in order, attributes are quoted, and there is one root element.
bool WellFormed(const std::string& xml, std::string* why) {
  std::vector<std::string> open;
  int roots = 0;
  size_t i = 0;
  while ((i = xml.find('<', i)) != std::string::npos) {
    const size_t end = xml.find('>', i);
    if (end == std::string::npos) return *why = "unterminated tag", false;
    std::string tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return *why = "empty tag", false;
    if (tag[0] == '?' || tag[0] == '!') continue;
    size_t quotes = 0;
    for (char c : tag) quotes += c == '"';
    if (quotes % 2 != 0) return *why = "unbalanced quotes in <" + tag + ">", false;
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (open.empty() || open.back() != name) return *why = "mismatched </" + name + ">", false;
      open.pop_back();
      continue;
    }
    const std::string name = tag.substr(0, tag.find_first_of(" \t\n/"));
    if (open.empty()) ++roots;
    if (tag.back() != '/') open.push_back(name);
  }
  if (!open.empty()) return *why = "unclosed <" + open.back() + ">", false;
  if (roots != 1) return *why = "roots: " + std::to_string(roots), false;
  return true;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t i = text.find(needle); i != std::string::npos; i = text.find(needle, i + 1)) ++n;
  return n;
}

MemorySnapshot Snapshot(int samples) {
  MemorySnapshot snap;
  snap.interval_ms = 1000;
  snap.capacity = 3600;
  for (int i = 0; i < samples; ++i) {
    MemorySample s;
    s.time_ms = 1'700'000'000'000 + i * 1000;
    s.split.payload = (10u << 20) + i * 4096u;
    s.split.item_metadata = 1u << 20;
    s.split.slab_slack = 1u << 19;
    s.split.slab_free = 3u << 20;
    s.split.index = 1u << 20;
    s.split.policy = 1u << 16;
    s.split.unaccounted = 5u << 20;
    s.rss = s.split.accounted() + s.split.unaccounted;
    snap.history.push_back(s);
  }
  snap.samples_taken = samples;
  snap.has_latest = samples > 0;
  if (samples > 0) snap.latest = snap.history.back();
  cache::ClassStats k;
  k.id = 1;
  k.chunk_size = 96;
  k.total_pages = 2;
  k.items = 100;
  snap.classes.push_back(k);
  return snap;
}

TEST_CASE("memory svg: well-formed, one series per kind and RSS, labelled axes") {
  const std::string svg = MemorySvg(Snapshot(120));
  std::string why;
  CHECK_MESSAGE(WellFormed(svg, &why), why);
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(Count(svg, "class=\"kind\"") == cache::MemorySplit::kKinds);
  for (std::string_view kind : cache::MemorySplit::kNames) {
    CHECK(Count(svg, "data-kind=\"" + std::string(kind) + "\"") == 1);
  }
  CHECK(Count(svg, "data-series=\"rss\"") == 1);
  CHECK(svg.find(">MiB<") != std::string::npos);
  CHECK(svg.find("seconds before the newest sample") != std::string::npos);
  CHECK(svg.find(">now<") != std::string::npos);
  CHECK(svg.size() < 200 * 1024);
}

TEST_CASE("memory svg: no samples and one sample still make a well-formed plot") {
  std::string why;
  const std::string none = MemorySvg(Snapshot(0));
  CHECK_MESSAGE(WellFormed(none, &why), why);
  CHECK(none.find("no samples yet") != std::string::npos);
  const std::string one = MemorySvg(Snapshot(1));
  CHECK_MESSAGE(WellFormed(one, &why), why);
  CHECK(Count(one, "class=\"kind\"") == cache::MemorySplit::kKinds);
  // Ten minutes of history: the x axis counts minutes.
  const std::string ten = MemorySvg(Snapshot(601));
  CHECK_MESSAGE(WellFormed(ten, &why), why);
  CHECK(ten.find("minutes before the newest sample") != std::string::npos);
  CHECK(ten.find(">-10<") != std::string::npos);
}

TEST_CASE("memory json: latest sample, every kind, one value per sample in each series") {
  const std::string json = MemoryJson(Snapshot(5));
  CHECK(json.find("\"samples_held\":5") != std::string::npos);
  CHECK(json.find("\"payload\":" + std::to_string((10u << 20) + 4 * 4096u)) != std::string::npos);
  for (std::string_view kind : cache::MemorySplit::kNames) {
    const std::regex series("\"" + std::string(kind) + "\":\\[(\\d+,){4}\\d+\\]");
    CHECK_MESSAGE(std::regex_search(json, series), kind);
  }
  CHECK(json.find("\"classes\":[{\"id\":1,\"chunk_size\":96") != std::string::npos);
  CHECK(Count(json, "{") == Count(json, "}"));
  CHECK(Count(json, "[") == Count(json, "]"));
  const std::string empty = MemoryJson(Snapshot(0));
  CHECK(empty.find("\"latest\":null") != std::string::npos);
  CHECK(empty.find("\"time_ms\":[]") != std::string::npos);
}

}  // namespace
}  // namespace kmd::profile
