// Process allocator and loader environment: see process_env.h. Library identity is decided by
// symbol addresses (dlsym in each library's own handle against the global lookup), never by
// names in the environment, so a preload that did not take effect is caught.
#include "core/memory/process_env.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/memory/page_source/allocator_libs.h"

namespace kmd::memory {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif

const char* SonameOf(ProcessAllocator a) {
  return a == ProcessAllocator::kJemalloc ? kJemallocSoname : kMimallocSoname;
}

// `symbol` in an already loaded library (nullptr if the library is not loaded).
void* LoadedSymbol(const char* soname, const char* symbol) {
  void* h = dlopen(soname, RTLD_NOLOAD | RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) return nullptr;
  void* sym = dlsym(h, symbol);
  dlclose(h);  // drops only the reference RTLD_NOLOAD took
  return sym;
}

bool HasStaticTlsTunable() {
  const char* t = std::getenv("GLIBC_TUNABLES");
  return t != nullptr && std::strstr(t, "optional_static_tls") != nullptr;
}

// jemalloc and mimalloc use initial-exec TLS: a dlopen after start-up needs the surplus raised,
// unless the library is already loaded (preloaded as the process allocator).
bool NeedsStaticTls(PageSourceKind pages) {
  const char* soname = pages == PageSourceKind::kJemalloc   ? kJemallocSoname
                       : pages == PageSourceKind::kMimalloc ? kMimallocSoname
                                                            : nullptr;
  if (soname == nullptr || HasStaticTlsTunable()) return false;
  return LoadedSymbol(soname, "malloc") == nullptr;
}

void Prepend(const char* name, const std::string& value, char separator) {
  const char* old = std::getenv(name);
  const std::string v = old != nullptr && *old != '\0' ? value + separator + old : value;
  setenv(name, v.c_str(), 1);
}

}  // namespace

std::string_view ProcessAllocatorName(ProcessAllocator a) {
  // Indexed by ProcessAllocator.
  constexpr std::string_view kNames[] = {"system", "jemalloc", "mimalloc"};
  return kNames[static_cast<int>(a)];
}

std::optional<ProcessAllocator> ParseProcessAllocator(std::string_view name) {
  for (int i = 0; i < 3; ++i) {
    const auto a = static_cast<ProcessAllocator>(i);
    if (ProcessAllocatorName(a) == name) return a;
  }
  return std::nullopt;
}

std::string ActiveMalloc() {
  void* active = dlsym(RTLD_DEFAULT, "malloc");
  if (active == LoadedSymbol(kGlibcSoname, "malloc")) return "glibc";
  if (active == LoadedSymbol(kJemallocSoname, "malloc")) return "jemalloc";
  if (active == LoadedSymbol(kMimallocSoname, "malloc")) return "mimalloc";
  return "other";
}

std::string PurgeProcessAllocator() {
  std::string active = ActiveMalloc();
  if (active == "glibc") {
    using Trim = int (*)(size_t);
    if (auto trim = reinterpret_cast<Trim>(LoadedSymbol(kGlibcSoname, "malloc_trim"))) trim(0);
  } else if (active == "jemalloc") {
    using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
    // MALLCTL_ARENAS_ALL (4096) names every arena.
    if (auto ctl = reinterpret_cast<Mallctl>(LoadedSymbol(kJemallocSoname, "mallctl"))) {
      ctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
    }
  } else if (active == "mimalloc") {
    using Collect = void (*)(bool);
    if (auto collect = reinterpret_cast<Collect>(LoadedSymbol(kMimallocSoname, "mi_collect"))) {
      collect(true);
    }
  }
  return active;
}

LaunchCheck CheckLaunch(ProcessAllocator want, PageSourceKind pages) {
  LaunchCheck c;
  const std::string active = ActiveMalloc();
  const bool reexecuted = std::getenv(kReexecMarker) != nullptr;
  if (want == ProcessAllocator::kSystem) {
    if (active == "jemalloc" || active == "mimalloc") {
      c.warning = "memory.process_allocator is system, but malloc is " + active +
                  "'s (LD_PRELOAD from the environment: " +
                  (std::getenv("LD_PRELOAD") ? std::getenv("LD_PRELOAD") : "") + ")";
    }
  } else if (kAddressSanitizer) {
    c.error = "memory.process_allocator " + std::string(ProcessAllocatorName(want)) +
              ": not available in an AddressSanitizer build (ASan's malloc must serve the process)";
    return c;
  } else if (active != ProcessAllocatorName(want)) {
    if (reexecuted) {
      c.error = "memory.process_allocator " + std::string(ProcessAllocatorName(want)) +
                ": started with LD_PRELOAD=" + SonameOf(want) + " but malloc is still " + active +
                "'s (is " + SonameOf(want) + " installed? Debian package " +
                (want == ProcessAllocator::kJemalloc ? "libjemalloc2" : "libmimalloc2.0") + ")";
      return c;
    }
    c.reexec = true;
  }
  if (NeedsStaticTls(pages) && !reexecuted) c.reexec = true;
  return c;
}

std::string ReExec(ProcessAllocator want, PageSourceKind pages, char** argv) {
  if (want != ProcessAllocator::kSystem && ActiveMalloc() != ProcessAllocatorName(want)) {
    Prepend("LD_PRELOAD", SonameOf(want), ':');
  }
  if (NeedsStaticTls(pages)) Prepend("GLIBC_TUNABLES", kStaticTlsTunable, ':');
  setenv(kReexecMarker, std::string(ProcessAllocatorName(want)).c_str(), 1);
  execv("/proc/self/exe", argv);
  return std::string("re-executing /proc/self/exe failed: ") + std::strerror(errno);
}

}  // namespace kmd::memory
