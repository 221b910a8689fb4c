// pymemcache (Debian's python3-pymemcache, text protocol) against the target: runs
// py/pymemcache_client.py, which asserts every reply and exits non-zero on the first mismatch.
// /usr/bin/python3 on purpose: a pyenv python3 earlier on PATH lacks the Debian package.
#include <doctest/doctest.h>

#include <string>

#include "tests/support/daemon.h"
#include "tests/support/run_command.h"

#ifndef KMD_SOURCE_DIR
#define KMD_SOURCE_DIR "."
#endif

namespace kmd::test {
namespace {

TEST_CASE(
    "pymemcache: set/get/get_many/gets/cas/incr/decr/delete/touch/flush_all/add/replace/"
    "append/prepend") {
  Daemon daemon;
  const std::string script =
      std::string(KMD_SOURCE_DIR) + "/tests/integration/py/pymemcache_client.py";
  auto r = RunCommand({"/usr/bin/python3", script, "127.0.0.1", std::to_string(daemon.port())},
                      std::chrono::seconds(60));
  INFO(TargetName(), " pymemcache: ", Describe(r));
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("ALL OK") != std::string::npos);
  CHECK(daemon.alive());
}

}  // namespace
}  // namespace kmd::test
