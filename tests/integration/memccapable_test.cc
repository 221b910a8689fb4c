// memccapable (libmemcached-tools 1.1.4) against the target, ascii and binary modes run
// separately so a failure names its mode. memcached 1.6.18 passes all 27 ascii and all 27
// binary cases (54); the daemon must do the same with zero failures. memccapable flushes the
// server, so each mode gets its own daemon.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "tests/support/daemon.h"
#include "tests/support/run_command.h"

namespace kmd::test {
namespace {

constexpr int kCasesPerMode = 27;

struct CapableTally {
  int pass = 0;
  int fail = 0;  // any case line whose verdict is not [pass]
  std::string failures;
};

// memccapable prints one line per case: "<name padded to 40>[pass]" (or [FAIL]/[skip]).
CapableTally Tally(const std::string& out) {
  CapableTally t;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("ascii ", 0) != 0 && line.rfind("binary ", 0) != 0) continue;
    if (line.find("[pass]") != std::string::npos) {
      ++t.pass;
    } else if (line.find('[') != std::string::npos) {
      ++t.fail;
      t.failures += line + "\n";
    }
  }
  return t;
}

void RunMode(const char* mode_flag, const char* prefix) {
  Daemon daemon;
  auto r = RunCommand(
      {"memccapable", "-h", "127.0.0.1", "-p", std::to_string(daemon.port()), "-t", "5", mode_flag},
      std::chrono::seconds(120));
  INFO(TargetName(), " memccapable ", mode_flag, ": ", Describe(r));
  CapableTally t = Tally(r.out + "\n" + r.err);
  INFO("failed cases:\n", t.failures);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  CHECK(t.fail == 0);
  CHECK(t.pass == kCasesPerMode);
  CHECK(r.out.find("All tests passed") != std::string::npos);
  CHECK(r.out.find(prefix) != std::string::npos);
  CHECK(daemon.alive());
}

TEST_CASE("memccapable ascii: all 27 cases pass") { RunMode("-a", "ascii set"); }

TEST_CASE("memccapable binary: all 27 cases pass") { RunMode("-b", "binary set"); }

}  // namespace
}  // namespace kmd::test
