// Symbolize: return addresses to readable frame names for the profiler's reports, with dladdr
// (the daemon links with -rdynamic, so its own external functions have names) and
// abi::__cxa_demangle, shortened by ShortFrame. Functions with internal linkage (anonymous
// namespaces, static) have no dynamic symbol: they read "module+0xOFFSET" (addr2line-able).
// Thread-safety: FrameNamer caches names; one instance per thread (or guarded by its owner).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kmd::profile {

class FrameNamer {
 public:
  const std::string& Name(void* return_address);

 private:
  std::unordered_map<void*, std::string> cache_;
};

// The frame that names a site: the first one that is not allocation machinery (operator new,
// std:: and __gnu_cxx:: allocator and container internals); the first frame if all are.
size_t SiteFrame(const std::vector<std::string>& names);

// A demangled name without template arguments and parameter lists, for reports and labels:
// "ns::Conn<asio::tcp, ...>::Read()::{lambda(int)#1}" -> "ns::Conn<>::Read::{lambda#1}".
std::string ShortFrame(std::string_view name);

// `name` made safe for one field of a collapsed-stack line (no ';', no newline, no trailing
// space-digit ambiguity): ';' becomes ':', control characters become '?'.
std::string CollapsedFrame(std::string_view name);

}  // namespace kmd::profile
