// Keeps the dependency rule of ../shared/DESIGN.md: scans every project #include line and fails
// when a module includes a project header it may not use (or core/ reaches for Asio, or anything
// but server/admin for prometheus-cpp).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// module folder -> project folders it may include (its own folder is always allowed).
const std::map<std::string, std::vector<std::string>> kAllowed = {
    {"config", {}},
    {"protocol", {"protocol"}},
    {"core/base", {}},
    {"core/memory", {"core/base", "config"}},
    {"core/cache", {"core/memory", "core/base", "config"}},
    {"core/tier", {"core/cache", "core/memory", "core/base", "config"}},
    {"core/reclaim", {"core", "config"}},
    {"core/profile", {"core", "config"}},
    // server/net owns the per-worker buffer pools, instances of core/memory's generic pieces.
    {"server/net", {"protocol", "core/base", "core/memory", "config"}},
    {"server/dispatch", {"server", "core", "protocol", "config"}},
    {"server/admin", {"server", "core", "protocol", "config"}},
};

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

TEST_CASE("every project include respects the module dependency rule") {
  const fs::path root = KMD_SOURCE_DIR;
  const std::regex include_re(R"re(^\s*#\s*include\s*[<"]([^>"]+)[>"])re");
  const std::vector<std::string> project_roots = {"config/", "protocol/", "core/", "server/"};
  int files = 0;
  for (const auto& [module, allowed] : kAllowed) {
    fs::path dir = root / module;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      auto ext = entry.path().extension();
      if (ext != ".h" && ext != ".cc") continue;
      ++files;
      std::ifstream in(entry.path());
      std::string line;
      while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_search(line, m, include_re)) continue;
        std::string inc = m[1];
        if (StartsWith(module, "core") || StartsWith(module, "protocol") || module == "config") {
          INFO(entry.path().string(), " includes ", inc);
          CHECK_FALSE(StartsWith(inc, "boost/asio"));
        }
        if (module != "server/admin") {
          INFO(entry.path().string(), " includes ", inc, ": only server/admin uses prometheus-cpp");
          CHECK_FALSE(StartsWith(inc, "prometheus/"));
        }
        bool project = false;
        for (const auto& r : project_roots) project = project || StartsWith(inc, r);
        if (!project) continue;
        bool ok = StartsWith(inc, module + "/");
        for (const auto& a : allowed) ok = ok || StartsWith(inc, a + "/");
        INFO(entry.path().string(), " includes ", inc, " which module ", module, " may not use");
        CHECK(ok);
      }
    }
  }
  CHECK(files > 0);
}

TEST_CASE("the profiler observes the core; the core below it never includes it") {
  // cache and memory report through snapshots and hooks (DESIGN.md "Hooks, not calls"): a rule
  // that let them reach core/profile would hide a dependency cycle.
  REQUIRE(kAllowed.count("core/profile") == 1);
  for (const char* module : {"core/base", "core/memory", "core/cache", "core/tier"}) {
    for (const std::string& allowed : kAllowed.at(module)) {
      INFO(module, " may use ", allowed);
      CHECK(allowed != "core");
      CHECK(allowed != "core/profile");
    }
  }
}
