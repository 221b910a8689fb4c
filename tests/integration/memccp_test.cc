// memccp --binary stores a 500 KB random file and memccat --binary --file=OUT returns it byte
// for byte (libmemcached-tools 1.1.4: memccp uses the file's basename as the key).
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "tests/support/daemon.h"
#include "tests/support/run_command.h"

namespace kmd::test {
namespace {

constexpr size_t kFileBytes = 500 * 1000;

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("memccp --binary then memccat --binary --file returns a 500 KB file byte for byte") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("kmd-memccp-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path in_path = dir / "kmd_blob_500k";
  const fs::path out_path = dir / "kmd_blob_500k.out";

  std::string blob(kFileBytes, '\0');
  std::mt19937_64 rng(0x6b6d64);
  for (auto& c : blob) c = static_cast<char>(rng());
  {
    std::ofstream out(in_path, std::ios::binary);
    out.write(blob.data(), static_cast<std::streamsize>(blob.size()));
  }

  Daemon daemon;
  const std::string servers = "--servers=" + daemon.server();
  auto cp = RunCommand({"memccp", "--binary", servers, in_path.string()}, std::chrono::seconds(30));
  INFO("memccp: ", Describe(cp));
  REQUIRE(cp.exit_code == 0);

  auto cat = RunCommand(
      {"memccat", "--binary", servers, "--file=" + out_path.string(), in_path.filename().string()},
      std::chrono::seconds(30));
  INFO("memccat: ", Describe(cat));
  REQUIRE(cat.exit_code == 0);
  const std::string got = ReadFile(out_path);
  CHECK(got.size() == blob.size());
  CHECK((got == blob));
  CHECK(daemon.alive());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kmd::test
