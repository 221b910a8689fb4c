// memjs 1.3.2 from the npm registry (binary protocol) against the target: runs
// js/memjs_client.js, which asserts every reply and exits non-zero on the first mismatch.
// memjs is installed by js/install.sh (npm ci from the committed package-lock.json).
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "tests/support/daemon.h"
#include "tests/support/run_command.h"

#ifndef KMD_SOURCE_DIR
#define KMD_SOURCE_DIR "."
#endif

namespace kmd::test {
namespace {

TEST_CASE("memjs: set/get/delete/increment/flush over the binary protocol") {
  const std::string dir = std::string(KMD_SOURCE_DIR) + "/tests/integration/js";
  INFO("memjs is not installed: run the project set-up script, or ", dir, "/install.sh (npm ci)");
  REQUIRE(std::filesystem::exists(dir + "/node_modules/memjs/package.json"));

  Daemon daemon;
  CommandOptions options;
  options.timeout = std::chrono::seconds(60);
  options.cwd = dir;
  auto r = RunCommand({"node", dir + "/memjs_client.js", daemon.server()}, options);
  INFO(TargetName(), " memjs: ", Describe(r));
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("ALL OK") != std::string::npos);
  CHECK(daemon.alive());
}

}  // namespace
}  // namespace kmd::test
