// A bounded memcslap --binary run (set, then get, then mget) with zero errors.
// memcslap 1.1.4 exits 0 even when operations fail; it reports "Time to <test> N keys by C
// threads" where N counts the operations that succeeded, and prints "Failure"/"error" lines
// for the others. So the test asserts the exact count and the absence of error lines.
#include <doctest/doctest.h>

#include <regex>
#include <string>

#include "tests/support/daemon.h"
#include "tests/support/run_command.h"

namespace kmd::test {
namespace {

constexpr int kConcurrency = 4;
constexpr int kExecuteNumber = 2000;

// "Time to get  8000 keys by  4 threads" (the run) or "Time to set  2000 keys:" (the load).
long KeysDone(const std::string& out, const std::string& test, bool load = false) {
  std::smatch m;
  std::regex re("Time to " + test + "\\s+([0-9]+) keys" + (load ? ":" : " by\\s+[0-9]+ threads"));
  if (!std::regex_search(out, m, re)) return -1;
  return std::stol(m[1].str());
}

bool MentionsError(const std::string& text) {
  static const std::regex re("error|fail|could not", std::regex::icase);
  return std::regex_search(text, re);
}

void RunSlap(Daemon& daemon, const std::string& test) {
  auto r = RunCommand({"memcslap", "--binary", "--servers=" + daemon.server(),
                       "--concurrency=" + std::to_string(kConcurrency),
                       "--execute-number=" + std::to_string(kExecuteNumber), "--test=" + test},
                      std::chrono::seconds(60));
  INFO(TargetName(), " memcslap --test=", test, ": ", Describe(r));
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(MentionsError(r.out + r.err));
  // get and mget first load execute-number keys with one client, then every thread reads them.
  CHECK(KeysDone(r.out, test) == static_cast<long>(kConcurrency) * kExecuteNumber);
  if (test != "set") CHECK(KeysDone(r.out, "set", true) == kExecuteNumber);
}

TEST_CASE("memcslap --binary: bounded set, get and mget runs with zero errors") {
  Daemon daemon;
  SUBCASE("set") { RunSlap(daemon, "set"); }
  SUBCASE("get") { RunSlap(daemon, "get"); }
  SUBCASE("mget") { RunSlap(daemon, "mget"); }
  CHECK(daemon.alive());
}

}  // namespace
}  // namespace kmd::test
