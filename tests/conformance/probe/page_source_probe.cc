// page_source_probe: allocates one page from each page source named on the command line and
// prints, per source, which allocators witnessed it (allocator_witness.h), after a first line
// naming whose malloc the process runs. page_source_identity_test.cc runs it under LD_PRELOAD of
// jemalloc and mimalloc to prove that `system` stays glibc. Exit 2 if a source cannot be made.
#include <cstdio>
#include <string>

#include "core/memory/process_env.h"
#include "tests/conformance/allocator_witness.h"

int main(int argc, char** argv) {
  std::printf("malloc=%s\n", kmd::memory::ActiveMalloc().c_str());
  for (int i = 1; i < argc; ++i) {
    const auto kind = kmd::memory::ParsePageSourceKind(argv[i]);
    if (!kind) {
      std::fprintf(stderr, "unknown page source %s\n", argv[i]);
      return 2;
    }
    kmd::memory::PageSourceOptions o;
    o.kind = *kind;
    o.max_pages = 4;
    kmd::memory::MadePageSource made = kmd::memory::MakePageSource(o);
    if (made.source == nullptr) {
      std::fprintf(stderr, "%s\n", made.error.c_str());
      return 2;
    }
    std::printf("%s %s\n", argv[i], kmd::test::WitnessOnePage(*made.source).Describe().c_str());
  }
  return 0;
}
