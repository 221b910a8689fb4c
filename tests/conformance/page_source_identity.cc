// Which allocator each page source really uses (allocator_witness.h): in this process, and in a
// probe process with jemalloc or mimalloc preloaded as the process's malloc, where `system` must
// still be glibc and every other backend still its own library.
#include <string>

#include "core/memory/process_env.h"
#include "tests/conformance/allocator_witness.h"
#include "tests/conformance/page_source_backends.h"
#include "tests/support/run_command.h"

namespace kmd::test {
namespace {

TEST_CASE_TEMPLATE("page source identity: each backend's page belongs to its allocator alone", B,
                   KMD_PAGE_SOURCES) {
  auto source = MakeSource<B>(1u << 20, 4);
  const Witnesses seen = WitnessOnePage(*source);
  CHECK(seen.Describe() == Expected(B::kKind).Describe());
}

TEST_CASE("page source identity: the libraries resolved are the named files") {
  std::string error;
  const memory::GlibcApi* glibc = memory::LoadGlibc(&error);
  REQUIRE(glibc != nullptr);
  CHECK(memory::LibraryOf(reinterpret_cast<void*>(glibc->aligned_alloc_fn)).find("libc.so.6") !=
        std::string::npos);
  const memory::JemallocApi* je = memory::LoadJemalloc(&error);
  REQUIRE_MESSAGE(je != nullptr, error);
  CHECK(memory::LibraryOf(reinterpret_cast<void*>(je->mallocx_fn)).find("libjemalloc.so.2") !=
        std::string::npos);
  CHECK(je->version.rfind("5.", 0) == 0);
  const memory::MimallocApi* mi = memory::LoadMimalloc(&error);
  REQUIRE_MESSAGE(mi != nullptr, error);
  CHECK(
      memory::LibraryOf(reinterpret_cast<void*>(mi->zalloc_aligned_fn)).find("libmimalloc.so.2") !=
      std::string::npos);
  // Loaded privately: neither library's malloc became the process's.
  CHECK(memory::ActiveMalloc() != "jemalloc");
  CHECK(memory::ActiveMalloc() != "mimalloc");
}

TEST_CASE("page source identity: under LD_PRELOAD of jemalloc or mimalloc, system stays glibc") {
#ifdef KMD_SANITIZED
  // ASan's runtime must serve malloc: a preloaded allocator crashes the probe before main.
  MESSAGE("skipped in a sanitizer build");
  return;
#endif
  for (const char* preload : {"jemalloc", "mimalloc"}) {
    CAPTURE(preload);
    CommandOptions options;
    options.timeout = std::chrono::seconds(30);
    options.env = {std::string("LD_PRELOAD=lib") + preload + ".so.2"};
    const CommandResult r = RunCommand(
        {KMD_PAGE_SOURCE_PROBE_PATH, "system", "arena", "jemalloc", "mimalloc"}, options);
    INFO(Describe(r));
    REQUIRE(r.exit_code == 0);
    // The preload took effect: the probe's malloc is the preloaded library's ...
    CHECK(r.out.find(std::string("malloc=") + preload + "\n") != std::string::npos);
    // ... and each backend's page still belongs to its own allocator alone.
    for (memory::PageSourceKind k : memory::kAllPageSources) {
      const std::string line =
          std::string(memory::PageSourceName(k)) + " " + Expected(k).Describe() + "\n";
      CHECK_MESSAGE(r.out.find(line) != std::string::npos, "expected: ", line);
    }
  }
}

}  // namespace
}  // namespace kmd::test
