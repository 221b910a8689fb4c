// The process's own allocator (config memory.process_allocator: malloc for everything that is not
// an item page) and the loader environment the dlopen'ed page sources need. The dynamic loader
// reads LD_PRELOAD and GLIBC_TUNABLES only when a program starts, so when they are missing the
// daemon re-executes itself once (same pid, same argv) with them set and a marker variable that
// stops a second round. Chosen over link-time variants (one binary per allocator): one binary
// and one package serve every choice, the choice stays a config value, and the page sources can
// still name glibc, jemalloc or mimalloc explicitly whatever serves malloc.
// Thread-safety: call before any thread starts (ReExec replaces the process image).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/memory/page_source/page_source.h"

namespace kmd::memory {

enum class ProcessAllocator : uint8_t { kSystem, kJemalloc, kMimalloc };

// "system", "jemalloc", "mimalloc" (config memory.process_allocator spells them so).
std::string_view ProcessAllocatorName(ProcessAllocator a);
std::optional<ProcessAllocator> ParseProcessAllocator(std::string_view name);

// Whose `malloc` the process calls now: "glibc", "jemalloc", "mimalloc", or "other" (e.g. a
// sanitizer's): the global `malloc` symbol compared with each library's own.
std::string ActiveMalloc();

// Returns what the process's malloc holds but does not use to the OS (the RSS controller's purge
// step): glibc malloc_trim(0), jemalloc's purge of all arenas, mimalloc's mi_collect(true); nothing
// for another malloc (a sanitizer's). Returns the allocator's name as ActiveMalloc() spells it.
// Thread-safe: each library's own call is.
std::string PurgeProcessAllocator();

// Set (to the allocator's name) in the re-executed process's environment.
inline constexpr const char* kReexecMarker = "KMD_REEXEC_ALLOCATOR";

struct LaunchCheck {
  bool reexec = false;  // call ReExec: the environment lacks what `want`/`pages` need
  std::string error;    // set when a re-exec already happened and malloc still is not `want`'s
  std::string warning;  // to log: e.g. system asked for, but LD_PRELOAD from outside is in charge
};
LaunchCheck CheckLaunch(ProcessAllocator want, PageSourceKind pages);

// Adds what CheckLaunch found missing to the environment (LD_PRELOAD of the library, the static
// TLS tunable for a dlopen'ed jemalloc/mimalloc, the marker) and executes /proc/self/exe with
// `argv`. Returns only on failure, with the reason.
std::string ReExec(ProcessAllocator want, PageSourceKind pages, char** argv);

}  // namespace kmd::memory
