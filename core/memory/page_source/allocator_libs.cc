// Loaders for allocator_libs.h: each runs once (a function-local static) and keeps its handle
// for the life of the process; failures are remembered and reported to every caller.
#include "core/memory/page_source/allocator_libs.h"

#include <dlfcn.h>

#include <cstring>
#include <vector>

namespace kmd::memory {
namespace {

template <typename Api>
struct Loaded {
  Api api;
  std::string error;
};

// One symbol to resolve into a function pointer (POSIX lets dlsym's void* fill one).
struct Symbol {
  const char* name;
  void** slot;
};
template <typename Fn>
Symbol Sym(const char* name, Fn* fn) {
  return {name, reinterpret_cast<void**>(fn)};
}

// Resolves every symbol in `handle`; false (with `error` naming the first one missing) otherwise.
bool ResolveAll(void* handle, const char* soname, const std::vector<Symbol>& symbols,
                std::string* error) {
  for (const Symbol& s : symbols) {
    *s.slot = dlsym(handle, s.name);
    if (*s.slot == nullptr) {
      *error = std::string(soname) + " has no symbol " + s.name;
      return false;
    }
  }
  return true;
}

void* Open(const char* soname, int flags, std::string* error) {
  void* h = dlopen(soname, flags);
  if (h != nullptr) return h;
  const char* why = dlerror();
  *error = std::string("cannot load ") + soname + ": " + (why != nullptr ? why : "unknown error");
  if (why != nullptr && std::strstr(why, "static TLS") != nullptr) {
    *error += std::string(" (it uses initial-exec TLS: start the process with GLIBC_TUNABLES=") +
              kStaticTlsTunable + "; kotoba-memd re-executes itself with it)";
  }
  return nullptr;
}

// Opens `soname` and fills the Api's function pointers from `symbols_of(api)`; on any failure the
// handle stays null and the error says why.
template <typename Api, typename SymbolsOf>
Loaded<Api> Load(const char* soname, int flags, SymbolsOf symbols_of) {
  Loaded<Api> l;
  l.api.handle = Open(soname, flags, &l.error);
  if (l.api.handle != nullptr && !ResolveAll(l.api.handle, soname, symbols_of(l.api), &l.error)) {
    l.api.handle = nullptr;
  }
  return l;
}

Loaded<GlibcApi> DoLoadGlibc() {
  // Always loaded: RTLD_NOLOAD only hands out the handle, whose lookup scope is libc itself.
  return Load<GlibcApi>(kGlibcSoname, RTLD_NOLOAD | RTLD_NOW | RTLD_LOCAL, [](GlibcApi& a) {
    return std::vector<Symbol>{Sym("malloc", &a.malloc_fn),
                               Sym("free", &a.free_fn),
                               Sym("aligned_alloc", &a.aligned_alloc_fn),
                               Sym("malloc_usable_size", &a.usable_size_fn),
                               Sym("malloc_trim", &a.trim_fn),
                               Sym("mallinfo2", &a.mallinfo2_fn)};
  });
}

Loaded<JemallocApi> DoLoadJemalloc() {
  Loaded<JemallocApi> l =
      Load<JemallocApi>(kJemallocSoname, RTLD_LOCAL | RTLD_NOW, [](JemallocApi& a) {
        return std::vector<Symbol>{Sym("mallocx", &a.mallocx_fn), Sym("dallocx", &a.dallocx_fn),
                                   Sym("sallocx", &a.sallocx_fn), Sym("mallctl", &a.mallctl_fn),
                                   Sym("malloc", &a.malloc_fn),   Sym("free", &a.free_fn)};
      });
  const char* version = nullptr;
  size_t len = sizeof(version);
  if (l.api.handle != nullptr && l.api.mallctl_fn("version", &version, &len, nullptr, 0) == 0 &&
      version != nullptr) {
    l.api.version = version;
  }
  return l;
}

Loaded<MimallocApi> DoLoadMimalloc() {
  Loaded<MimallocApi> l =
      Load<MimallocApi>(kMimallocSoname, RTLD_LOCAL | RTLD_NOW, [](MimallocApi& a) {
        return std::vector<Symbol>{Sym("mi_zalloc_aligned", &a.zalloc_aligned_fn),
                                   Sym("mi_free", &a.free_fn),
                                   Sym("mi_collect", &a.collect_fn),
                                   Sym("mi_check_owned", &a.check_owned_fn),
                                   Sym("mi_malloc", &a.malloc_fn),
                                   Sym("mi_process_info", &a.process_info_fn),
                                   Sym("mi_version", &a.version_fn)};
      });
  if (l.api.handle != nullptr) l.api.version = l.api.version_fn();
  return l;
}

template <typename Api>
const Api* Result(const Loaded<Api>& l, std::string* error) {
  if (l.api.handle != nullptr) return &l.api;
  if (error != nullptr) *error = l.error;
  return nullptr;
}

}  // namespace

size_t JemallocApi::Stat(const char* name) const {
  uint64_t epoch = 1;
  size_t len = sizeof(epoch);
  mallctl_fn("epoch", &epoch, &len, &epoch, len);
  size_t value = 0;
  len = sizeof(value);
  return mallctl_fn(name, &value, &len, nullptr, 0) == 0 ? value : 0;
}

const GlibcApi* LoadGlibc(std::string* error) {
  static const Loaded<GlibcApi> loaded = DoLoadGlibc();
  return Result(loaded, error);
}

const JemallocApi* LoadJemalloc(std::string* error) {
  static const Loaded<JemallocApi> loaded = DoLoadJemalloc();
  return Result(loaded, error);
}

const MimallocApi* LoadMimalloc(std::string* error) {
  static const Loaded<MimallocApi> loaded = DoLoadMimalloc();
  return Result(loaded, error);
}

std::string LibraryOf(const void* fn) {
  Dl_info info{};
  if (dladdr(fn, &info) == 0 || info.dli_fname == nullptr) return "?";
  return info.dli_fname;
}

}  // namespace kmd::memory
