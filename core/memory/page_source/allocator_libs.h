// The allocator libraries behind the page sources, resolved explicitly so that each backend calls
// the allocator it names whatever the process's malloc is: glibc's malloc family from libc.so.6's
// own handle (dlopen RTLD_NOLOAD + dlsym: an LD_PRELOADed malloc does not interpose there), and
// jemalloc and mimalloc dlopen'ed RTLD_LOCAL|RTLD_NOW (both export `malloc`; linked normally,
// either would replace glibc's for the whole process). Each is loaded once per process and never
// unloaded (pages may outlive any one owner). Thread-safety: loaders may be called concurrently.
#pragma once

#include <malloc.h>

#include <cstddef>
#include <string>

namespace kmd::memory {

inline constexpr const char* kGlibcSoname = "libc.so.6";
inline constexpr const char* kJemallocSoname = "libjemalloc.so.2";
inline constexpr const char* kMimallocSoname = "libmimalloc.so.2";

// jemalloc and mimalloc use initial-exec TLS, which dlopen can place only in glibc's static TLS
// surplus; a process that dlopens them starts with this tunable (kotoba-memd re-executes itself
// with it, see process_env.h; test binaries get it from ctest).
inline constexpr const char* kStaticTlsTunable = "glibc.rtld.optional_static_tls=65536";

struct GlibcApi {
  void* handle = nullptr;
  void* (*malloc_fn)(size_t) = nullptr;
  void (*free_fn)(void*) = nullptr;
  void* (*aligned_alloc_fn)(size_t, size_t) = nullptr;
  size_t (*usable_size_fn)(void*) = nullptr;
  int (*trim_fn)(size_t) = nullptr;
  struct mallinfo2 (*mallinfo2_fn)() = nullptr;
};

struct JemallocApi {
  void* handle = nullptr;
  void* (*mallocx_fn)(size_t, int) = nullptr;
  void (*dallocx_fn)(void*, int) = nullptr;
  size_t (*sallocx_fn)(const void*, int) = nullptr;
  int (*mallctl_fn)(const char*, void*, size_t*, void*, size_t) = nullptr;
  void* (*malloc_fn)(size_t) = nullptr;
  void (*free_fn)(void*) = nullptr;
  std::string version;  // mallctl "version"
  // Reads a size_t statistic after refreshing jemalloc's stats epoch; 0 on failure.
  size_t Stat(const char* name) const;
};

struct MimallocApi {
  void* handle = nullptr;
  void* (*zalloc_aligned_fn)(size_t, size_t) = nullptr;
  void (*free_fn)(void*) = nullptr;
  void (*collect_fn)(bool) = nullptr;
  bool (*check_owned_fn)(const void*) = nullptr;  // in the calling thread's default heap
  void* (*malloc_fn)(size_t) = nullptr;
  void (*process_info_fn)(size_t*, size_t*, size_t*, size_t*, size_t*, size_t*, size_t*,
                          size_t*) = nullptr;
  int (*version_fn)() = nullptr;
  int version = 0;  // mi_version()
};

// nullptr with *error set (naming the library and dlerror's reason) when it cannot be loaded.
const GlibcApi* LoadGlibc(std::string* error);
const JemallocApi* LoadJemalloc(std::string* error);
const MimallocApi* LoadMimalloc(std::string* error);

// The file a function lives in (dladdr), for proofs and messages; "?" if unknown.
std::string LibraryOf(const void* fn);

}  // namespace kmd::memory
